"""A real browser (Chromium through Playwright) pays on the donate pages against localstripe
and its stand-in Stripe.js: the fee cover shown live, the card element, 3-D Secure, the
thank-you page — under the site's real Content-Security-Policy (no inline scripts)."""
import shutil

import pytest
import sqlalchemy as sa

from core.extensions import db
from donate.models import Donation
from tests.conftest import component_missing
from tests.donate.giving_support import designation, trial_balance

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def page():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        component_missing("playwright is not installed")
    if not CHROMIUM:
        component_missing("no chromium binary")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        page.set_default_timeout(10_000)
        page.csp_errors = []
        page.on("console", lambda msg: "Content Security Policy" in msg.text
                and page.csp_errors.append(msg.text))
        yield page
        browser.close()


def _fill_card(page, number):
    for field, value in (("number", number), ("exp_month", "12"), ("exp_year", "30"),
                         ("cvc", "123"), ("postal_code", "200120")):
        page.fill(f"#card-element input[placeholder={field}]", value)


def _give(page, live_server, drive, number):
    page.goto(f"{live_server}/c/{drive.slug}/donate?lang=en")
    page.check("input[name=preset][value='10000']")
    page.check(f"input[name=designation][value='{designation(drive, 'SF-LJZ').id}']")
    page.check("input[name=cover_fee]")
    assert page.inner_text(".fee-live") == "Your fee cover: ¥0.60"
    page.fill("input[name=donor_name]", "小明")
    page.click("button[type=submit]")
    assert page.inner_text("#total-amount") == "CN¥100.60"
    _fill_card(page, number)
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


def test_three_d_secure_in_the_browser(page, live_server, drive, stripe_url):
    _give(page, live_server, drive, "4000002500003155")
    page.click("text=Complete authentication", timeout=15_000)
    page.wait_for_url("**/thanks", timeout=15_000)
    assert page.get_attribute("#donation-status", "data-status") == "succeeded"


def test_a_declined_card_shows_the_reason_and_stays_on_the_page(page, live_server, drive, stripe_url):
    _give(page, live_server, drive, "4000000000000341")
    from playwright.sync_api import expect

    expect(page.locator("#card-errors")).to_have_text(
        "Your card was declined. Please try another card.", timeout=15_000)
    assert page.is_enabled("#pay-button")
