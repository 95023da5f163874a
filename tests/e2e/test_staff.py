"""Staff on a desktop browser: log in, create a drive with two designations (a bad goal is
refused first), preview the draft, publish it, and the public sees it (issue #11)."""
import sqlalchemy as sa

from campaigns.models import Campaign
from campaigns.services import GENERAL_LABEL_ZH
from core.extensions import db
from tests.e2e.browser_support import in_chinese

SLUG = "chunjie-songnuan"


def fill_new_drive(page) -> None:
    page.fill("input[name=slug]", SLUG)
    page.select_option("select[name=kind]", "pooled")
    page.fill("input[name=title_zh]", "春节送温暖")
    page.fill("input[name=title_en]", "Warmth for Spring Festival")
    page.fill("textarea[name=story_zh]", "为惠南镇和陆家嘴街道的困难家庭送去节日的温暖。")
    page.fill("input[name=goal]", "12345.67")
    page.fill("input[name=preset_amounts]", "50, 100")


def save(page) -> None:
    with page.expect_navigation():
        page.click("form.card button[type=submit]")


def test_staff_create_preview_and_publish_a_drive(desktop, new_page, live_server, demo, login_as, shot):
    login_as(desktop, "staff")
    desktop.goto(f"{live_server}/staff/campaigns/new")
    fill_new_drive(desktop)
    desktop.fill("input[name=goal]", "12345.678")  # a third decimal: not a sum of fen
    save(desktop)
    assert desktop.inner_text("#goal-err") == in_chinese("Use at most two decimal places (fen).")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 2  # the demo's
    shot(desktop, "bad-goal")

    desktop.fill("input[name=goal]", "12345.67")
    for code in ("SF-HN", "SF-LJZ"):
        desktop.check(f"input[name=designation_funds][value='{code}']")
    save(desktop)
    assert desktop.get_attribute("[data-status]", "data-status") == "draft"
    shot(desktop, "draft")
    assert new_page().goto(f"{live_server}/c/{SLUG}").status == 404  # not public yet

    desktop.click(f"a[href='/c/{SLUG}/preview']")
    assert desktop.locator("article.campaign h1").inner_text() == "春节送温暖"
    assert desktop.locator("#donate").count() == 0  # a preview takes no gifts
    shot(desktop, "preview")

    desktop.go_back()
    with desktop.expect_navigation():
        desktop.click("form:has(input[name=action][value=publish]) button")
    assert desktop.get_attribute("[data-status]", "data-status") == "live"

    page = new_page()  # a visitor on a phone
    page.goto(f"{live_server}/c/{SLUG}")
    assert page.locator("article.campaign h1").inner_text() == "春节送温暖"
    assert page.locator("#donate").is_visible()
    page.goto(f"{live_server}/c/{SLUG}/donate")
    labels = page.locator("fieldset:has(input[name=designation]) label.choice").all_inner_texts()
    assert [t.strip() for t in labels] == [GENERAL_LABEL_ZH, "惠南镇社区慈善专项基金",
                                           "陆家嘴街道社区慈善专项基金"]
    shot(page, "public")

    db.session.expire_all()
    drive = db.session.scalar(sa.select(Campaign).filter_by(slug=SLUG))
    assert (drive.status, drive.goal_fen, drive.preset_amounts_fen) == ("live", 1_234_567, [5_000, 10_000])
