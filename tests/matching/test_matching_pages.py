"""The staff's matching pages: sponsors, pledges with every term, bad input refused with a
clear message and nothing written, status actions, terms locked once live."""
import io
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from campaigns.matching import state
from campaigns.matching.models import MatchingPledge, PledgeEvent, Sponsor
from core.extensions import db
from tests.matching.support import T0, make_sponsor

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def page(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def staff(client, login):
    login("staff")
    return client


@pytest.fixture
def pledge_form(drive):
    """A valid new pledge, as staff type it (local Shanghai times)."""
    sponsor = make_sponsor(db.session)
    db.session.commit()
    return {
        "sponsor": str(sponsor.id), "campaigns": [str(drive.id)], "ratio": "2:1",
        "min_gift": "10", "cap_per_gift": "200", "cap_per_donor_day": "300",
        "cap_per_donor_campaign": "500", "pool": "5000", "starts_at": "2026-12-01T09:00",
        "ends_at": "2026-12-31T21:00", "daily_opens": "09:00", "daily_closes": "21:00",
        "designations": [str(drive.designation_for("SF-LJZ").id)], "priority": "10",
        "escrow_percent": "50", "matches_recurring": "y",
    }


# -- sponsors -------------------------------------------------------------------------------

def test_staff_see_the_matching_link_and_anonymous_do_not(app, client, login):
    assert "/staff/matching/" not in page(client.get("/?lang=en"))
    login("staff")
    assert '<a href="/staff/matching/">Matching</a>' in page(client.get("/?lang=en"))


def test_create_a_sponsor_with_a_logo(staff):
    resp = staff.post("/staff/matching/sponsors/new?lang=en", data={
        "name": "星河科技有限公司", "display_name_zh": "星河科技", "display_name_en": "Xinghe Tech",
        "contact_name": "王经理", "contact_email": "csr@xinghe.example", "contact_phone": "021-5555",
        "logo": (io.BytesIO(PNG), "logo.png")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    sponsor = db.session.scalar(sa.select(Sponsor))
    assert (sponsor.name, sponsor.display_name_zh, sponsor.logo_type, sponsor.logo) == (
        "星河科技有限公司", "星河科技", "image/png", PNG)
    logo = staff.get(f"/staff/matching/sponsors/{sponsor.id}/logo")
    assert (logo.status_code, logo.mimetype, logo.data) == (200, "image/png", PNG)
    assert "星河科技有限公司" in page(staff.get("/staff/matching/sponsors?lang=en"))


@pytest.mark.parametrize("upload, message", [
    ((b"GIF89a" + b"\x00" * 20, "logo.png"), "The logo must be a PNG, JPEG or WebP image."),
    ((b"<svg onload=alert(1)>", "logo.webp"), "The logo must be a PNG, JPEG or WebP image."),
    ((PNG + b"\x00" * 205_000, "big.png"), "The logo is too large: at most 200 KB."),
])
def test_a_bad_logo_is_refused_and_nothing_is_written(staff, upload, message):
    data, name = upload
    resp = staff.post("/staff/matching/sponsors/new?lang=en", data={
        "name": "星河科技有限公司", "logo": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert resp.status_code == 400
    assert message in page(resp)
    assert count(Sponsor) == 0


def test_a_webp_logo_is_accepted_and_a_sponsor_name_is_unique(staff):
    ok = staff.post("/staff/matching/sponsors/new", data={
        "name": "星河", "logo": (io.BytesIO(WEBP), "x.webp")}, content_type="multipart/form-data")
    assert ok.status_code == 302
    assert db.session.scalar(sa.select(Sponsor.logo_type)) == "image/webp"
    again = staff.post("/staff/matching/sponsors/new?lang=en", data={"name": "星河"})
    assert again.status_code == 400
    assert "A sponsor with this name already exists." in page(again)
    assert count(Sponsor) == 1


def test_edit_a_sponsor_keeps_its_logo(staff):
    staff.post("/staff/matching/sponsors/new", data={"name": "星河", "logo": (io.BytesIO(PNG), "x.png")},
               content_type="multipart/form-data")
    sponsor = db.session.scalar(sa.select(Sponsor))
    form = staff.get(f"/staff/matching/sponsors/{sponsor.id}/edit?lang=en")
    assert 'value="星河"' in page(form)
    resp = staff.post(f"/staff/matching/sponsors/{sponsor.id}/edit",
                      data={"name": "星河科技", "display_name_en": "Xinghe"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert (sponsor.name, sponsor.display_name_en, sponsor.logo) == ("星河科技", "Xinghe", PNG)
    staff.post("/staff/matching/sponsors/new", data={"name": "月亮湾"})
    taken = staff.post(f"/staff/matching/sponsors/{sponsor.id}/edit?lang=en", data={"name": "月亮湾"})
    assert taken.status_code == 400
    assert "A sponsor with this name already exists." in page(taken)
    db.session.expire_all()
    assert sponsor.name == "星河科技"


# -- pledges --------------------------------------------------------------------------------

def test_create_a_pledge_with_every_term(staff, drive, pledge_form):
    resp = staff.post("/staff/matching/pledges/new?lang=en", data=pledge_form)
    assert resp.status_code == 302, page(resp)
    pledge = db.session.scalar(sa.select(MatchingPledge))
    assert (pledge.status, pledge.ratio_num, pledge.ratio_den) == (state.DRAFT, 2, 1)
    assert (pledge.min_gift_fen, pledge.cap_per_gift_fen, pledge.cap_per_donor_day_fen,
            pledge.cap_per_donor_campaign_fen, pledge.pool_fen) == (1_000, 20_000, 30_000, 50_000, 500_000)
    # 09:00 in Shanghai is 01:00 UTC.
    assert (str(pledge.starts_at), str(pledge.ends_at)) == ("2026-12-01 01:00:00", "2026-12-31 13:00:00")
    assert (str(pledge.daily_opens), str(pledge.daily_closes)) == ("09:00:00", "21:00:00")
    assert [d.fund_code for d in pledge.designations] == ["SF-LJZ"]
    assert [c.slug for c in pledge.campaigns] == ["wanren-test"]
    assert (pledge.priority, pledge.escrow_bps, pledge.matches_recurring) == (10, 5_000, True)
    assert pledge.created_by == "staff@example.org"


@pytest.mark.parametrize("changes, message", [
    ({"ratio": "0:1"}, "Give the ratio as two whole numbers above zero, like 1:1, 2:1 or 1:2."),
    ({"ratio": "-1:1"}, "Give the ratio as two whole numbers above zero, like 1:1, 2:1 or 1:2."),
    ({"ratio": "1:0"}, "Give the ratio as two whole numbers above zero, like 1:1, 2:1 or 1:2."),
    ({"ratio": "two to one"}, "Give the ratio as two whole numbers above zero, like 1:1, 2:1 or 1:2."),
    ({"cap_per_gift": "6000", "cap_per_donor_day": "", "cap_per_donor_campaign": ""},
     "A cap cannot be larger than the pool (CN¥5,000.00)."),
    ({"cap_per_donor_day": "600"},
     "The daily cap per donor cannot be larger than the cap per donor for the campaign."),
    ({"ends_at": "2026-11-30T09:00"}, "The window must end after it starts."),
    ({"ends_at": "2026-12-01T09:00"}, "The window must end after it starts."),
    ({"pool": "0"}, "The amount must be more than zero."),
    ({"pool": "12.345"}, "Use at most two decimal places (fen)."),
    ({"escrow_percent": "120"}, "Number must be between 0 and 100."),
    ({"campaigns": []}, "Choose at least one campaign to match gifts on."),
])
def test_bad_terms_are_refused_with_a_clear_message_and_nothing_is_written(staff, pledge_form,
                                                                          changes, message):
    resp = staff.post("/staff/matching/pledges/new?lang=en", data={**pledge_form, **changes})
    assert resp.status_code == 400
    assert message in page(resp)
    assert count(MatchingPledge) == 0


def test_a_pledge_on_a_closed_campaign_is_refused(staff, drive, pledge_form):
    from campaigns import services as campaign_services

    campaign_services.close_campaign(db.session, drive)
    db.session.commit()
    resp = staff.post("/staff/matching/pledges/new?lang=en", data=pledge_form)
    assert resp.status_code == 400
    assert ("The campaign “万人捐、帮万家” is closed: a pledge needs a campaign that can still "
            "take gifts.") in page(resp)
    assert count(MatchingPledge) == 0


def test_a_draft_pledge_can_be_edited(staff, make_pledge):
    pledge = make_pledge(status="draft")
    form = page(staff.get(f"/staff/matching/pledges/{pledge.id}/edit?lang=en"))
    assert 'value="1:1"' in form and 'value="1000"' in form
    data = {"sponsor": str(pledge.sponsor_id), "campaigns": [str(pledge.campaigns[0].id)],
            "ratio": "1:2", "pool": "800", "starts_at": "2026-12-01T09:00",
            "ends_at": "2026-12-02T09:00", "priority": "5", "escrow_percent": "0"}
    assert staff.post(f"/staff/matching/pledges/{pledge.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert (pledge.ratio_num, pledge.ratio_den, pledge.pool_fen, pledge.priority) == (1, 2, 80_000, 5)


def test_editing_the_terms_of_a_live_pledge_is_refused(staff, make_pledge):
    pledge = make_pledge()
    data = {"sponsor": str(pledge.sponsor_id), "campaigns": [str(pledge.campaigns[0].id)],
            "ratio": "2:1", "pool": "1000", "starts_at": "2026-11-30T10:00",
            "ends_at": "2026-12-31T10:00", "priority": "100", "escrow_percent": "0"}
    for resp in (staff.get(f"/staff/matching/pledges/{pledge.id}/edit?lang=en"),
                 staff.post(f"/staff/matching/pledges/{pledge.id}/edit?lang=en", data=data)):
        assert resp.status_code == 409
        assert "Pause or end it and make a new pledge." in page(resp)
    db.session.expire_all()
    assert (pledge.ratio_num, pledge.ratio_den, pledge.status) == (1, 1, state.LIVE)


def test_the_page_of_a_live_pledge_says_its_terms_are_fixed(staff, make_pledge):
    pledge = make_pledge()
    body = page(staff.get(f"/staff/matching/pledges/{pledge.id}?lang=en"))
    assert "To change the terms, end this pledge and make a new one." in body
    assert f"/staff/matching/pledges/{pledge.id}/edit" not in body
    assert 'id="ratio">1:1<' in body


@pytest.mark.parametrize("action, before, after", [
    ("go_live", "draft", "live"), ("pause", "live", "paused"), ("end", "live", "ended"),
])
def test_status_actions(staff, make_pledge, action, before, after):
    pledge = make_pledge(status="draft", ends_at=T0 + timedelta(days=400))
    if before == "live":
        staff.post(f"/staff/matching/pledges/{pledge.id}/status", data={"action": "go_live"})
    resp = staff.post(f"/staff/matching/pledges/{pledge.id}/status?lang=en", data={"action": action})
    assert resp.status_code == 302
    db.session.expire_all()
    assert pledge.status == after
    last = db.session.scalars(sa.select(PledgeEvent).order_by(PledgeEvent.id.desc())).first()
    assert (last.action, last.from_status, last.to_status, last.actor) == (
        action, before, after, "staff@example.org")


def test_pause_then_resume(staff, make_pledge):
    pledge = make_pledge(ends_at=T0 + timedelta(days=400))
    for action in ("pause", "resume"):
        staff.post(f"/staff/matching/pledges/{pledge.id}/status", data={"action": action})
    db.session.expire_all()
    assert pledge.status == state.LIVE


def test_going_live_before_the_escrow_is_received_is_refused(staff, make_pledge):
    pledge = make_pledge(status="draft", escrow_bps=5_000, ends_at=T0 + timedelta(days=400))
    body = page(staff.get(f"/staff/matching/pledges/{pledge.id}?lang=en"))
    assert "Goes live once CN¥500.00 is received (received CN¥0.00 of CN¥500.00)." in body
    resp = staff.post(f"/staff/matching/pledges/{pledge.id}/status?lang=en", data={"action": "go_live"})
    assert resp.status_code == 409
    assert ("This pledge can go live once the sponsor has paid CN¥500.00 into escrow; "
            "CN¥500.00 is still missing.") in page(resp)
    db.session.expire_all()
    assert pledge.status == state.DRAFT


def test_an_action_the_state_machine_refuses_is_a_409(staff, make_pledge):
    pledge = make_pledge(status="draft")
    resp = staff.post(f"/staff/matching/pledges/{pledge.id}/status?lang=en", data={"action": "pause"})
    assert resp.status_code == 409
    assert "“Pause” is not possible for a pledge that is Draft." in page(resp)
    assert staff.post(f"/staff/matching/pledges/{pledge.id}/status", data={"action": "exhaust"}).status_code == 400


def test_the_pledge_list_shows_usage(staff, make_pledge, give):
    make_pledge()
    give(30_000)
    body = page(staff.get("/staff/matching/?lang=en"))
    assert "<td>CN¥1,000.00</td>" in body and "<td>CN¥300.00</td>" in body and "<td>CN¥700.00</td>" in body


def test_every_staff_page_renders_in_chinese(staff, make_pledge, give):
    pledge = make_pledge(daily_opens=time(9, 0))
    give(10_000)
    for url in ("/staff/matching/", "/staff/matching/sponsors", "/staff/matching/review",
                "/staff/matching/sponsors/new", "/staff/matching/pledges/new",
                f"/staff/matching/pledges/{pledge.id}", f"/staff/matching/pledges/{pledge.id}/statement"):
        resp = staff.get(url + "?lang=zh")
        assert resp.status_code == 200, url
        assert '<html lang="zh-CN">' in page(resp)
    assert "09:00 – 24:00" in page(staff.get(f"/staff/matching/pledges/{pledge.id}?lang=zh"))
