"""axe-core on the public pages (issue #11): no serious or critical violation on the home,
campaign, donate, wish board, thank-you and receipt pages — and every other public page a
donor can reach — in Chinese and in English, and in large-text mode; ``<html lang>`` matches
the language shown. axe is vendored in static/vendor/axe/ and injected by the test only."""
import pytest

from tests.e2e.a11y_support import (NARROW, LANGS, axe_violations, open_page,  # noqa: F401
                                    site, walk_public_pages)

REQUIRED = {"home", "campaign", "donate", "wish-board", "thanks", "verify", "verified"}


@pytest.mark.parametrize("lang", LANGS)
def test_public_pages_have_no_serious_axe_violations(new_page, live_server, site, lang):  # noqa: F811
    page = new_page(NARROW, is_mobile=True, has_touch=True)
    checked, problems = set(), {}
    for name in walk_public_pages(page, live_server, site, lang):
        checked.add(name)
        assert page.get_attribute("html", "lang") == LANGS[lang], name
        found = axe_violations(page)
        if found:
            problems[name] = found
        if name == "campaign":  # the QR code is a picture with a name, not a bare <svg>
            assert page.locator(".qr svg title").text_content().strip()
    assert REQUIRED <= checked
    assert problems == {}, "\n".join(f"{name}: {found}" for name, found in problems.items())


def test_large_text_pages_have_no_serious_axe_violations(new_page, live_server, site):  # noqa: F811
    """Large-text mode changes sizes and the switch's colours, nothing else: three pages."""
    page = new_page(NARROW, is_mobile=True, has_touch=True)
    problems = {}
    for name in ("home", "donate", "thanks"):
        open_page(page, live_server + site[name], large=True)
        assert page.get_attribute("html", "class") == "large-text"
        found = axe_violations(page)
        if found:
            problems[name] = found
    assert problems == {}, "\n".join(f"{name}: {found}" for name, found in problems.items())


def test_axe_finds_what_it_should(new_page, live_server, app):
    """The check can fail: a button without a name and an image without alt are caught."""
    page = new_page(NARROW)
    page.goto(f"{live_server}/login")
    page.evaluate("""() => {
        const main = document.querySelector('main');
        main.appendChild(document.createElement('button'));
        const img = document.createElement('img'); img.src = '/static/none.png'; main.appendChild(img);
    }""")
    found = axe_violations(page)
    assert [line.split(" ")[0] for line in found] == ["button-name", "image-alt"], found
