"""A real browser on the donate form: "your ¥100 becomes ¥200" follows the amount and the
designation the donor picks (static/js/donate.js asking /c/<slug>/match-preview), under the
site's real Content-Security-Policy."""
from datetime import timedelta

from core.auth import utcnow
from core.extensions import db
from tests.donate.conftest import live_server  # noqa: F401 - fixtures shared with the giving tests
from tests.donate.test_browser_payment import page  # noqa: F401


def test_the_match_line_follows_the_amount_and_designation(page, live_server, make_pledge, drive):  # noqa: F811
    now = utcnow()
    make_pledge(ratio_num=2, ratio_den=1, cap_per_gift_fen=30_000,
                designations=[drive.designation_for("SF-LJZ")],
                starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=3))
    db.session.commit()
    from playwright.sync_api import expect

    page.goto(f"{live_server}/c/{drive.slug}/donate?lang=en")
    line = page.locator("#match-preview")
    page.check(f"input[name=designation][value='{drive.designation_for('SF-LJZ').id}']")
    page.check("input[name=preset][value='10000']")
    expect(line).to_have_text("With matching, your CN¥100.00 becomes CN¥300.00.")
    page.check("input[name=preset][value='custom']")
    page.fill("input[name=custom_amount]", "200.50")
    # 2:1 would add ¥401, but the cap per gift is ¥300.
    expect(line).to_have_text("With matching, your CN¥200.50 becomes CN¥500.50.")
    page.check(f"input[name=designation][value='{drive.designation_for(drive.fund_code).id}']")
    expect(line).to_have_text("")
    assert page.csp_errors == []
