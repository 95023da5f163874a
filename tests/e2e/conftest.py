"""Fixtures for the end-to-end tests: one Chromium for the session (Debian's, driven by
Playwright), a fresh browser context per test as a phone or a desktop, the app and localstripe
served on 127.0.0.1, the demo office seeded, logging in through the real form, and screenshots.

Screenshots go to ``tests/e2e/screenshots/<test>-<name>.png`` (ignored by git; CI keeps them).
A missing chromium or Playwright fails in CI and skips elsewhere (``component_missing``).
"""
import re
from pathlib import Path

import pytest

from core.extensions import db
from tests.conftest import component_missing
from tests.donate.conftest import live_server, localstripe_server, stripe_url  # noqa: F401
from tests.e2e.browser_support import CHROMIUM, close_chromium, launch_chromium

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
#: The password every user made by ``login_as`` gets.
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session; each test opens its own contexts."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        component_missing("playwright is not installed")
    if not CHROMIUM:
        component_missing("no chromium binary")
    browser = launch_chromium()
    yield browser
    close_chromium(browser)


@pytest.fixture
def new_page(browser):
    """``new_page(viewport, locale="zh-CN")``: a page in a fresh context (its own cookies),
    default timeout 10 s; it collects Content-Security-Policy errors in ``page.csp_errors``
    and uncaught script errors in ``page.js_errors``.
    Every context is closed after the test."""
    contexts = []

    def make(viewport=PHONE, locale="zh-CN", **options):
        context = browser.new_context(viewport=viewport, locale=locale, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.csp_errors, page.js_errors = [], []
        page.on("console", lambda msg: "Content Security Policy" in msg.text
                and page.csp_errors.append(msg.text))
        page.on("pageerror", lambda err: page.js_errors.append(str(err)))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_page):
    """A 390×844 phone page in Chinese (zh-CN), as most donors see the site."""
    return new_page(PHONE, is_mobile=True, has_touch=True)


@pytest.fixture
def desktop(new_page):
    """A 1280×800 desktop page in Chinese, as staff and finance see the site."""
    return new_page(DESKTOP)


@pytest.fixture
def shot(request):
    """``shot(page, name)``: a full-page screenshot at screenshots/<test>-<name>.png; its path."""

    def take(page, name: str) -> Path:
        # pytest-playwright adds a [chromium] parameter to every test: left out of the name.
        node = request.node.name.replace("[chromium]", "").replace("[chromium-", "[")
        test = re.sub(r"[^\w.-]+", "_", node).strip("_")
        path = SCREENSHOTS / f"{test}-{name}.png"
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def demo(app):
    """The demo office, lightly: demo users, the chart and funds, the live "万人捐、帮万家"
    drive (slug ``wanren-juan``) and the "冬日暖阳" wish drive (``dongri-nuanyang``) with its
    demo wishes up to "reserved" (no households, no booked gifts: those need Stripe)."""
    from campaigns.demo import seed_campaigns, seed_funds, seed_users
    from campaigns.services import campaign_by_slug
    from campaigns.wishes.demo import seed_wishes

    seed_users(db.session)
    seed_funds(db.session)
    seed_campaigns(db.session)
    seed_wishes(db.session)
    db.session.commit()
    return {"drive": campaign_by_slug(db.session, "wanren-juan"),
            "wish_drive": campaign_by_slug(db.session, "dongri-nuanyang")}


@pytest.fixture
def login_as(live_server, make_user):
    """``login_as(page, role)``: make a user with ``role`` and log in through the login form
    (in the page's own context); returns the user."""

    def do(page, role: str, email: str | None = None):
        user = make_user(role, email or f"{role}-e2e@example.org", PASSWORD)
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("form:has(input[name=password]) button[type=submit]")
        assert "/login" not in page.url, f"{user.email} was not logged in: {page.url}"
        return user

    return do
