"""Staff campaign pages: guarded, forms that refuse bad input with exact messages and write
nothing, and status buttons that follow the state machine."""
import re

import pytest
import sqlalchemy as sa

from campaigns.models import Campaign, Designation
from core.extensions import db


def campaign_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Campaign))


def errors_in(html: str) -> list[str]:
    """The error messages shown next to the form's fields."""
    blocks = re.findall(r'<div class="error" id="[^"]*-err" role="alert">(.*?)</div>', html, re.S)
    return [m for block in blocks for m in re.findall(r"<p>([^<]*)</p>", block)]


# --- access -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/staff/", "/staff/campaigns/new"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    resp = client.get(path)
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


@pytest.mark.parametrize("path", ["/staff/", "/staff/campaigns/new"])
def test_finance_only_users_are_refused(client, login, path):
    login("finance")
    assert client.get(path).status_code == 403


def test_staff_see_the_index_with_statuses(client, login, make_campaign):
    make_campaign("draft", slug="first-draft", title_en="First draft")
    make_campaign("live", slug="a-live-one", title_en="A live one")
    login("staff")
    html = client.get("/staff/?lang=en").get_data(as_text=True)
    assert 'data-status="draft"' in html and 'data-status="live"' in html
    assert "First draft" in html and "/c/a-live-one" in html


# --- create and edit --------------------------------------------------------------------

def test_create_a_campaign(client, login, funds, valid_form):
    login("staff")
    resp = client.post("/staff/campaigns/new?lang=en", data=valid_form)
    assert resp.status_code == 302, errors_in(resp.get_data(as_text=True))
    campaign = db.session.scalar(sa.select(Campaign))
    assert (campaign.slug, campaign.status, campaign.goal_fen) == ("winter-2024", "draft", 300_000_000)
    assert (campaign.min_gift_fen, campaign.max_gift_fen) == (100, 5_000_000)
    assert campaign.preset_amounts == "5000,10000,20000"
    assert campaign.fund_code is None
    assert [(d.fund_code, d.kind, d.position) for d in campaign.designations] == [
        ("C-WINTER-2024", "general", 0), ("SF-LJZ", "subfund", 1), ("GOODS-YN", "goods", 2)]
    assert campaign.designations[1].label_zh == "陆家嘴街道社区慈善专项基金"


def test_amounts_with_fen_are_kept_exactly(client, login, funds, valid_form):
    login("staff")
    valid_form.update(goal="12.50", min_gift="0.01", max_gift="99.99", preset_amounts="0.5, 12.3")
    assert client.post("/staff/campaigns/new", data=valid_form).status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    assert (campaign.goal_fen, campaign.min_gift_fen, campaign.max_gift_fen) == (1250, 1, 9999)
    assert campaign.preset_amounts_fen == [50, 1230]


BAD_INPUT = [
    ({"goal": "abc"}, "Enter an amount like 50 or 12.50."),
    ({"goal": "1e9"}, "Enter an amount like 50 or 12.50."),
    ({"goal": "0.001"}, "Use at most two decimal places (fen)."),
    ({"min_gift": "-5"}, "The amount must be more than zero."),
    ({"min_gift": "0"}, "The amount must be more than zero."),
    ({"max_gift": ""}, "This field is required."),
    ({"min_gift": "100", "max_gift": "50", "preset_amounts": "60"},
     "The largest gift must not be smaller than the smallest gift."),
    ({"preset_amounts": "50, 100000"}, "Every preset amount must lie between the smallest and the largest gift."),
    ({"preset_amounts": "50, 12.345"}, "Use at most two decimal places (fen)."),
    ({"slug": "Bad Slug!"}, "Use lower-case letters a–z, digits and hyphens; no hyphen at either end."),
    ({"slug": "-edge"}, "Use lower-case letters a–z, digits and hyphens; no hyphen at either end."),
    ({"slug": "a" * 39}, "Field cannot be longer than 38 characters."),
    ({"title_zh": "长" * 121}, "Field cannot be longer than 120 characters."),
    ({"title_zh": ""}, "This field is required."),
    ({"cover_image": "javascript:alert(1)"}, "Use an https:// address or a /static/ path."),
    ({"starts_at": "2025-01-10T09:00", "ends_at": "2025-01-01T09:00"}, "The end must come after the start."),
    ({"donor_goal": "-1"}, "Number must be between 0 and 1000000000."),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_a_clear_message(client, login, funds, valid_form, changes, message):
    login("staff")
    valid_form.update(changes)
    resp = client.post("/staff/campaigns/new?lang=en", data=valid_form)
    assert resp.status_code == 400
    assert errors_in(resp.get_data(as_text=True)) == [message]
    assert campaign_count() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Designation)) == 0


def test_duplicate_slug_is_refused(client, login, make_campaign, valid_form):
    make_campaign("live", slug="winter-2024")
    login("staff")
    resp = client.post("/staff/campaigns/new?lang=en", data=valid_form)
    assert resp.status_code == 400
    assert errors_in(resp.get_data(as_text=True)) == ["Another campaign already uses this address."]
    assert campaign_count() == 1


def test_a_slug_taken_by_a_concurrent_request_is_a_form_error(client, login, make_campaign, valid_form, monkeypatch):
    """The check passed, then the unique constraint refused the insert: still no 500."""
    from campaigns import services

    make_campaign("live", slug="winter-2024")
    monkeypatch.setattr(services, "_check_unique_and_funds", lambda *args: None)
    login("staff")
    resp = client.post("/staff/campaigns/new?lang=en", data=valid_form)
    assert resp.status_code == 400
    assert errors_in(resp.get_data(as_text=True)) == ["Another campaign already uses this address."]
    assert campaign_count() == 1


def test_unknown_designation_fund_is_refused(client, login, funds, valid_form):
    login("staff")
    valid_form["designation_funds"] = ["SF-NOWHERE"]
    resp = client.post("/staff/campaigns/new?lang=en", data=valid_form)
    assert resp.status_code == 400
    assert campaign_count() == 0


def test_edit_a_draft_changes_its_slug_and_designations(client, login, make_campaign, valid_form):
    campaign = make_campaign("draft", slug="old-name")
    login("staff")
    valid_form.update(slug="new-name", designation_funds=["SF-HN"])
    resp = client.post(f"/staff/campaigns/{campaign.id}/edit", data=valid_form)
    assert resp.status_code == 302
    db.session.expire_all()
    assert campaign.slug == "new-name"
    assert [d.fund_code for d in campaign.designations] == ["C-NEW-NAME", "SF-HN"]


def test_edit_form_shows_amounts_in_yuan(client, login, make_campaign):
    campaign = make_campaign("draft", min_gift_fen=1250, max_gift_fen=500_000)
    login("staff")
    html = client.get(f"/staff/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'value="12.50"' in html and 'value="5000"' in html


def test_a_published_campaign_keeps_slug_kind_currency_and_designations(client, login, make_campaign, valid_form):
    campaign = make_campaign("live", slug="fixed", designation_funds=("SF-LJZ",))
    login("staff")
    valid_form.update(slug="changed", kind="wish", title_en="New title", designation_funds=["SF-LJZ", "SF-HN"])
    resp = client.post(f"/staff/campaigns/{campaign.id}/edit", data=valid_form)
    assert resp.status_code == 302
    db.session.expire_all()
    assert (campaign.slug, campaign.kind, campaign.title_en) == ("fixed", "pooled", "New title")
    assert [d.fund_code for d in campaign.designations] == ["C-FIXED", "SF-LJZ", "SF-HN"]

    valid_form["designation_funds"] = ["SF-HN"]
    resp = client.post(f"/staff/campaigns/{campaign.id}/edit?lang=en", data=valid_form)
    assert resp.status_code == 400
    assert "Designations cannot be removed once the campaign has been published." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert [d.fund_code for d in campaign.designations] == ["C-FIXED", "SF-LJZ", "SF-HN"]


# --- status buttons ---------------------------------------------------------------------

def test_publish_pause_resume_close_through_the_pages(client, login, make_campaign):
    campaign = make_campaign("draft", slug="winter-2024")
    login("staff")
    for action, status in (("publish", "live"), ("pause", "paused"), ("resume", "live"), ("close", "closed")):
        resp = client.post(f"/staff/campaigns/{campaign.id}/status", data={"action": action})
        assert resp.status_code == 302
        db.session.expire_all()
        assert campaign.status == status
    assert campaign.fund_code == "C-WINTER-2024"


def test_a_refused_transition_shows_an_error_and_changes_nothing(client, login, make_campaign):
    campaign = make_campaign("closed")
    login("staff")
    resp = client.post(f"/staff/campaigns/{campaign.id}/status?lang=en", data={"action": "resume"})
    assert resp.status_code == 409
    assert "“Resume” is not possible for a campaign with status Closed." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert campaign.status == "closed"


def test_an_unknown_action_is_a_bad_request(client, login, make_campaign):
    campaign = make_campaign("live")
    login("staff")
    assert client.post(f"/staff/campaigns/{campaign.id}/status", data={"action": "delete"}).status_code == 400


def test_show_page_offers_only_the_allowed_actions(client, login, make_campaign):
    campaign = make_campaign("paused")
    login("staff")
    html = client.get(f"/staff/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'value="resume"' in html and 'value="close"' in html
    assert 'value="publish"' not in html and 'value="pause"' not in html


def test_unknown_campaign_is_404(client, login):
    login("staff")
    assert client.get("/staff/campaigns/4242").status_code == 404
