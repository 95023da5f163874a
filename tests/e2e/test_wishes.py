"""Two donors, two phones, one micro-wish: the first holds it and pays; the second, whose board
still showed the wish open, is told it was just taken and offered similar wishes (issue #11).
Nothing is paid twice and the wish ends funded by one gift."""
import sqlalchemy as sa

from campaigns.wishes.models import Wish
from core.extensions import db
from donate.models import Donation
from tests.e2e.browser_support import in_chinese, pay_by_card

DRIVE = "dongri-nuanyang"
ITEM = "新书包"  # 小雨's schoolbag, ¥150, open in the demo drive


def wish_card(page, item: str):
    return page.locator("li.wish", has=page.locator("h2", has_text=item))


def test_two_donors_race_for_one_wish_and_the_second_is_told_it_was_taken(
        new_page, live_server, stripe_url, demo, shot):
    first, second = new_page(), new_page()
    for page in (first, second):
        page.goto(f"{live_server}/c/{DRIVE}/wishes")
        assert wish_card(page, ITEM).get_attribute("data-status") == "open"
    shot(second, "board-before")

    wish_card(first, ITEM).locator("button[type=submit]").click()
    first.wait_for_url("**/wishes/r/*")
    assert first.inner_text("#wish-price") == "¥150.00"
    first.fill("input[name=donor_name]", "李雷")
    first.fill("input[name=email]", "lilei@example.org")
    first.click("form:has(input[name=email]) button[type=submit]")
    first.wait_for_selector("#card-element input[placeholder=number]")
    shot(first, "first-pays")

    # The second donor's board still offers the wish: pressing the button now is refused.
    wish_card(second, ITEM).locator("button[type=submit]").click()
    second.wait_for_selector("#wish-message")
    shot(second, "second-told-taken")
    assert second.inner_text("#wish-message p") == in_chinese(
        "Someone has just taken this wish — here are three like it.")
    assert second.locator("#wish-message li[data-wish]").count() == 3
    assert second.locator("#wish-message li[data-wish] a[href^='/w/']").count() == 3
    assert "/wishes/r/" not in second.url

    pay_by_card(first)
    first.wait_for_url("**/thanks", timeout=15_000)
    shot(first, "first-thanks")
    assert first.get_attribute("#donation-status", "data-status") == "succeeded"
    assert first.inner_text("#donation-amount") == "¥150.00"
    assert (first.csp_errors, first.js_errors) == ([], [])

    second.goto(f"{live_server}/c/{DRIVE}/wishes")
    assert wish_card(second, ITEM).get_attribute("data-status") == "funded"
    assert wish_card(second, ITEM).locator("button").count() == 0
    shot(second, "board-after")

    db.session.expire_all()
    wish = db.session.scalar(sa.select(Wish).filter_by(item=ITEM))
    gifts = db.session.scalars(sa.select(Donation)).all()
    assert (wish.status, wish.funded_fen) == ("funded", 15_000)
    assert [(g.amount_fen, g.status, g.donor_name) for g in gifts] == [(15_000, "succeeded", "李雷")]
