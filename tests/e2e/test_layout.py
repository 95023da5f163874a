"""Phone-first and elderly-friendly (issue #11): every public page fits a 360 px wide phone
without sideways scrolling and every touch target is at least 44 × 44 px — in Chinese and in
English, in normal and in large-text mode (适老化). The rules are spelled out in
``a11y_support``. And the large-text switch in the header, with and without JavaScript."""
import pytest

from core.views import TEXT_SIZE_COOKIE
from tests.e2e.a11y_support import (NARROW, LANGS, open_page, overflow, site,  # noqa: F401
                                    small_targets, walk_public_pages)


def layout_problems(page) -> list[str]:
    extra = overflow(page)
    return ([f"{extra} px wider than 360 px"] if extra else []) + small_targets(page)


@pytest.mark.parametrize("lang", LANGS)
def test_every_public_page_fits_360px_with_44px_targets(new_page, live_server, site, shot, lang):  # noqa: F811
    """Each page is measured as served, then again in large-text mode — switched on in place,
    as ui.js does; the server's side of the switch is tested below."""
    page = new_page(NARROW, is_mobile=True, has_touch=True)
    problems = {}
    for name in walk_public_pages(page, live_server, site, lang):
        for size in ("normal", "large-text"):
            if size == "large-text":
                page.evaluate("() => document.documentElement.classList.add('large-text')")
            shot(page, f"{name}-{size}")
            found = layout_problems(page)
            if found:
                problems[f"{name} ({size})"] = found
    assert problems == {}, "\n".join(f"{name}: {found}" for name, found in problems.items())


def root_font_px(page) -> float:
    return page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")


def switch(page):
    return page.locator("form.text-size button")


def test_large_text_switch_works_without_javascript(new_page, live_server, demo, shot):
    page = new_page(NARROW, java_script_enabled=False)
    open_page(page, f"{live_server}/c/wanren-juan")
    assert " ".join(switch(page).inner_text().split()) == "A+ 大字模式"
    open_page(page, f"{live_server}/c/wanren-juan?lang=en")
    assert (" ".join(switch(page).inner_text().split()), switch(page).get_attribute("aria-pressed")) \
        == ("A+ Large text", "false")
    assert root_font_px(page) == 16
    with page.expect_navigation():
        switch(page).click()
    # Back on the same page, rendered large by the server, the choice kept in a cookie.
    assert page.url == f"{live_server}/c/wanren-juan?lang=en"
    assert "large-text" in page.get_attribute("html", "class")
    assert switch(page).get_attribute("aria-pressed") == "true"
    assert root_font_px(page) == 22
    assert {c["name"]: c["value"] for c in page.context.cookies()}[TEXT_SIZE_COOKIE] == "large"
    shot(page, "large")
    page.goto(f"{live_server}/")
    assert root_font_px(page) == 22, "the choice holds on every page"
    with page.expect_navigation():
        switch(page).click()
    assert (page.get_attribute("html", "class"), root_font_px(page)) == (None, 16)
    assert TEXT_SIZE_COOKIE not in {c["name"] for c in page.context.cookies()}


def test_large_text_switch_toggles_in_place_with_javascript(new_page, live_server, demo):
    page = new_page(NARROW)
    open_page(page, f"{live_server}/c/wanren-juan/donate")
    page.evaluate("() => { window.notReloaded = true; }")
    switch(page).click()
    page.wait_for_function("() => document.documentElement.classList.contains('large-text')")
    assert page.evaluate("() => window.notReloaded") is True
    assert (switch(page).get_attribute("aria-pressed"), root_font_px(page)) == ("true", 22)
    assert {c["name"]: c["value"] for c in page.context.cookies()}[TEXT_SIZE_COOKIE] == "large"
    page.reload()
    assert "large-text" in page.get_attribute("html", "class"), "the server renders it large"
    switch(page).click()
    page.wait_for_function("() => !document.documentElement.classList.contains('large-text')")
    assert (switch(page).get_attribute("aria-pressed"), root_font_px(page)) == ("false", 16)
    assert TEXT_SIZE_COOKIE not in {c["name"] for c in page.context.cookies()}


# -- the switch's route, without a browser -----------------------------------------------------

def test_the_text_size_route_sets_the_cookie_and_goes_back(client):
    response = client.get("/text-size?large=1&next=/receipts/verify?lang=en")
    assert (response.status_code, response.location) == (302, "/receipts/verify?lang=en")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{TEXT_SIZE_COOKIE}=large;") and "SameSite=Lax" in cookie
    page = client.get("/receipts/verify?lang=en").get_data(as_text=True)
    assert '<html lang="en" class="large-text">' in page
    assert 'aria-pressed="true"' in page and 'name="large" value="0"' in page

    response = client.get("/text-size?large=0&next=/receipts/verify")
    assert response.status_code == 302 and f"{TEXT_SIZE_COOKIE}=;" in response.headers["Set-Cookie"]
    page = client.get("/receipts/verify?lang=zh").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and 'aria-pressed="false"' in page


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", ""])
def test_the_text_size_route_only_goes_back_to_this_site(client, target):
    response = client.get("/text-size", query_string={"large": "1", "next": target})
    assert (response.status_code, response.location) == (302, "/")


def test_the_touch_target_rule_can_fail(new_page, live_server, app):
    """A lone small link and a small button are caught; a link inside a sentence is exempt."""
    page = new_page(NARROW)
    page.goto(f"{live_server}/login")
    page.evaluate("""() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend', '<p>Read <a href="#a">the rules</a> first.</p>'
            + '<div><a href="#b" id="lone">lone</a></div><button id="tiny">x</button>');
        const tiny = document.getElementById('tiny');
        tiny.style.minHeight = '0'; tiny.style.padding = '0';
    }""")
    assert [line.split(" ")[0] for line in small_targets(page)] == ["a#lone", "button#tiny"]
