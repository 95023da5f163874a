"""The public pages: the home page of live drives, a campaign's page with its progress, donor
wall and share QR code, and what the public may not see (drafts, unknown slugs)."""
import pytest

from core.extensions import db


@pytest.fixture
def drives(app):
    """Live, paused, closed and draft campaigns, by status."""
    from campaigns import services
    from ledger.chart import seed_chart

    seed_chart(db.session)
    path = {"draft": [], "live": ["publish"], "paused": ["publish", "pause"], "closed": ["publish", "close"]}
    made = {}
    for status, actions in path.items():
        campaign = services.create_campaign(db.session, services.CampaignInput(
            slug=f"{status}-drive", title_zh=f"{status}募捐", title_en=f"The {status} drive",
            story_zh="第一段。\n第二段。", story_en="First paragraph.\nSecond paragraph.",
            goal_fen=1_000_000, donor_goal=1_000, homes_goal=50))
        for action in actions:
            services.change_status(db.session, campaign, action)
        made[status] = campaign
    db.session.commit()
    return made


def give(campaign, amount_fen, **kw):
    from donate.models import Donation

    kw.setdefault("status", "succeeded")
    donation = Donation(campaign=campaign, designation=campaign.designations[0], amount_fen=amount_fen, **kw)
    db.session.add(donation)
    db.session.commit()
    return donation


def page(client, path):
    resp = client.get(path)
    return resp.status_code, resp.get_data(as_text=True)


def test_home_lists_live_drives_only(client, drives):
    give(drives["live"], 250_000, email="a@example.org")
    status, html = page(client, "/?lang=en")
    assert status == 200
    assert "The live drive" in html
    for hidden in ("The draft drive", "The paused drive", "The closed drive"):
        assert hidden not in html
    assert "CN¥2,500.00" in html and "CN¥10,000.00" in html
    assert '<progress max="100" value="25"' in html


def test_home_in_chinese_shows_chinese_titles_and_yuan(client, drives):
    give(drives["live"], 250_000)
    status, html = page(client, "/?lang=zh")
    assert "live募捐" in html and "¥2,500.00" in html


def test_campaign_page_shows_progress_three_ways(client, drives):
    give(drives["live"], 250_000, email="a@example.org")
    give(drives["live"], 50_000, email="b@example.org")
    status, html = page(client, "/c/live-drive?lang=en")
    assert status == 200
    assert "<h1>The live drive</h1>" in html
    assert "<p>First paragraph.</p>" in html and "<p>Second paragraph.</p>" in html
    assert 'data-raised-fen="300000"' in html and "CN¥3,000.00" in html
    assert '<progress max="100" value="30"' in html       # yuan: 3,000 of 10,000
    assert "<strong>2</strong> of 1,000 donors" in html and '<progress max="100" value="0"' in html
    assert "of 50 homes helped" in html and '<progress max="100" value="0"' in html


@pytest.mark.parametrize("slug", ["draft-drive", "no-such-drive"])
def test_drafts_and_unknown_slugs_are_404(client, drives, slug):
    assert client.get(f"/c/{slug}").status_code == 404
    assert client.get(f"/c/{slug}/qr.svg").status_code == 404


def test_staff_may_preview_a_draft(client, drives, login):
    assert client.get("/c/draft-drive/preview").status_code == 302  # to the login page
    login("staff")
    status, html = page(client, "/c/draft-drive/preview?lang=en")
    assert status == 200
    assert "Preview: this draft is not public yet." in html and "The draft drive" in html


def test_finance_may_not_preview(client, drives, login):
    login("finance")
    assert client.get("/c/draft-drive/preview").status_code == 403


@pytest.mark.parametrize(("slug", "notice"), [
    ("paused-drive", "This drive is paused and is not taking gifts at the moment."),
    ("closed-drive", "This drive has closed. Thank you to everyone who gave."),
])
def test_paused_and_closed_pages_show_a_notice_instead_of_donate(client, drives, slug, notice):
    status, html = page(client, f"/c/{slug}?lang=en")
    assert status == 200
    assert notice in html
    assert 'id="donate"' not in html


def test_live_page_links_to_the_donate_form_when_it_exists(app, client, drives):
    status, html = page(client, "/c/live-drive?lang=en")
    if "giving.donate" in app.view_functions:
        assert 'id="donate" href="/c/live-drive/donate"' in html
    else:
        assert 'id="donate"' not in html
    assert "not taking gifts" not in html


def test_donor_wall_respects_anonymity_and_escapes_messages(client, drives):
    live = drives["live"]
    give(live, 10_000, donor_name="王小明", message="新年快乐")
    give(live, 20_000, donor_name="Secret Person", anonymous=True)
    give(live, 30_000, donor_name="   ")
    give(live, 40_000, donor_name="Mallory", message="<script>alert(1)</script>")
    give(live, 50_000, donor_name="Refunded Person", status="refunded", refunded_fen=50_000)
    give(live, 60_000, donor_name="Pending Person", status="pending")
    give(live, 70_000, donor_name="Half", status="partially_refunded", refunded_fen=20_000)
    status, html = page(client, "/c/live-drive?lang=en")
    wall = html.split('class="donor-wall"')[1].split("</section>")[0]
    assert "王小明" in wall and "新年快乐" in wall and "CN¥100.00" in wall
    assert "Secret Person" not in html
    assert wall.count("A kind donor") == 2
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in wall
    assert "Refunded Person" not in html and "Pending Person" not in html
    assert "Half" in wall and "CN¥500.00" in wall  # net of the refund


def test_donor_wall_shows_the_latest_twenty(client, drives):
    for n in range(25):
        give(drives["live"], 100 + n, donor_name=f"Donor {n:02d}")
    status, html = page(client, "/c/live-drive?lang=en")
    assert "Donor 24" in html and "Donor 05" in html
    assert "Donor 04" not in html


def test_share_qr_code_is_inline_svg(client, drives):
    status, html = page(client, "/c/live-drive")
    assert '<svg' in html and 'class="segno"' in html
    assert "http://localhost/c/live-drive" in html


def test_qr_download_is_an_svg_of_the_page_address(client, drives):
    resp = client.get("/c/live-drive/qr.svg")
    assert resp.status_code == 200
    assert resp.mimetype == "image/svg+xml"
    assert resp.get_data(as_text=True).lstrip().startswith(("<?xml", "<svg"))


def test_a_live_drive_outside_its_dates_says_so(client, drives):
    from datetime import datetime

    drives["live"].ends_at = datetime(2020, 1, 1)
    db.session.commit()
    status, html = page(client, "/c/live-drive?lang=en")
    assert "This drive is not taking gifts at the moment: see its dates." in html
    assert 'id="donate"' not in html
