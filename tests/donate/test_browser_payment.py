"""A real browser (Chromium through Playwright) pays on the donate pages against localstripe
and its stand-in Stripe.js: the fee cover shown live, the card element, the thank-you page —
under the site's real Content-Security-Policy (no inline scripts). 3-D Secure and declined
cards, and the rest of the donor's path on a phone, are in tests/e2e/test_giving.py."""
import pytest
import sqlalchemy as sa

from core.extensions import db
from donate.models import Donation
from tests.conftest import component_missing
from tests.donate.giving_support import designation, trial_balance
from tests.e2e.browser_support import CHROMIUM, close_chromium, fill_card, launch_chromium


@pytest.fixture
def page():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        component_missing("playwright is not installed")
    if not CHROMIUM:
        component_missing("no chromium binary")
    browser = launch_chromium()  # one Playwright driver per process, shared with tests/e2e
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.set_default_timeout(10_000)
    page.csp_errors = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text
            and page.csp_errors.append(msg.text))
    yield page
    close_chromium(browser)


def _give(page, live_server, drive, number):
    page.goto(f"{live_server}/c/{drive.slug}/donate?lang=en")
    page.check("input[name=preset][value='10000']")
    page.check(f"input[name=designation][value='{designation(drive, 'SF-LJZ').id}']")
    page.check("input[name=cover_fee]")
    assert page.inner_text(".fee-live") == "Your fee cover: ¥0.60"
    page.fill("input[name=donor_name]", "小明")
    page.click("form.donate-form button[type=submit]")
    assert page.inner_text("#total-amount") == "CN¥100.60"
    fill_card(page, number)
    page.click("#pay-button")


def test_a_donor_pays_by_card_in_the_browser(page, live_server, drive, stripe_url):
    _give(page, live_server, drive, "4242424242424242")
    page.wait_for_url("**/thanks", timeout=15_000)
    assert page.get_attribute("#donation-status", "data-status") == "succeeded"
    assert page.csp_errors == []
    db.session.expire_all()
    donation = db.session.scalar(sa.select(Donation))
    assert (donation.amount_fen, donation.fee_cover_fen, donation.donor_name) == (10_060, 60, "小明")
    assert trial_balance() == {("PROCESSOR_CLEARING", "SF-LJZ"): 10_060,
                               ("DONATION_INCOME", "SF-LJZ"): -10_060}

