"""Helpers the browser tests share: where Chromium is and how it starts, paying with
localstripe's stand-in card element, and the Chinese a page should show."""
import re
import shutil
from pathlib import Path

from flask_babel import force_locale, gettext

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Debian's chromium under Playwright (FACTS.md): no sandbox, no GPU, nothing phoning home.
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


class _Driver:
    """This process's one Playwright driver: a second sync driver in the same thread is
    refused ("Sync API inside the asyncio loop"), so every browser test shares this one."""

    playwright = None
    browsers = 0


def launch_chromium(**options):
    """A new headless Chromium (Debian's) through the shared driver; ``close_chromium`` it."""
    from playwright.sync_api import sync_playwright

    if _Driver.playwright is None:
        _Driver.playwright = sync_playwright().start()
    browser = _Driver.playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS,
                                                 **options)
    _Driver.browsers += 1
    return browser


def close_chromium(browser) -> None:
    """Close ``browser``; the driver stops with the last browser."""
    browser.close()
    _Driver.browsers -= 1
    if _Driver.browsers == 0:
        _Driver.playwright.stop()
        _Driver.playwright = None

CARD_OK, CARD_3DS, CARD_DECLINED = "4242424242424242", "4000002500003155", "4000000000000341"


def fill_card(page, number: str = CARD_OK) -> None:
    """Type a test card into localstripe's card element (its inputs are named by placeholder)."""
    for field, value in (("number", number), ("exp_month", "12"), ("exp_year", "30"),
                         ("cvc", "123"), ("postal_code", "200120")):
        page.fill(f"#card-element input[placeholder={field}]", value)


def pay_by_card(page, number: str = CARD_OK) -> None:
    """On the payment step: wait for the card element, type the card, press pay."""
    page.wait_for_selector("#card-element input[placeholder=number]")
    fill_card(page, number)
    page.click("#pay-button")


def in_chinese(message) -> str:
    """``message`` (a msgid or a lazy string) as the Chinese catalog has it; fails if the
    catalog leaves it in English, since a Chinese page would then show English."""
    with force_locale("zh_Hans_CN"):
        text = gettext(message) if isinstance(message, str) else str(message)
    assert re.search(r"[\u4e00-\u9fff]", text), f"not translated into Chinese: {text}"
    return text
