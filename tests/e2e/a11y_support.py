"""What the accessibility and phone-layout tests share: the public site seeded with one of
everything a donor can meet, a walk through its pages, and the in-browser measurements.

The rules the measurements apply (issue #11):

- **360 px**: at a 360 px wide viewport, ``document.documentElement.scrollWidth <= 360``.
- **Touch targets** (WCAG 2.5.5, 44 × 44 CSS px): every visible link, button, text input,
  select, textarea and summary, and the label of every radio button and checkbox (the label is
  what a thumb presses; the small native box inside it is exempt), measured by its bounding
  box. Exempt, as WCAG 2.5.8 allows: a link *inside running text* — one whose nearest block
  (p, li, td, dd, …) holds other words (letters or digits, not just separators such as "·")
  besides the link — and anything off-screen or hidden
  from everyone (the skip link before it has focus, the honeypot field).
- **axe-core**: no violation of impact ``serious`` or ``critical``.
"""
from pathlib import Path

import pytest

from core.extensions import db

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe" / "axe.min.js"
NARROW = {"width": 360, "height": 740}
MIN_TARGET = 44
TEXT_SIZE_COOKIE = "text_size"
LANGS = {"zh": "zh-CN", "en": "en"}  # ?lang= value → the <html lang> it must give


@pytest.fixture
def site(app, demo, stripe_url, live_server):
    """The demo office plus a team, a live matching pledge and one paid, booked ¥50 gift;
    returns ``{name: path}`` for the public pages a donor can reach by address."""
    from campaigns.matching.demo import seed_matching
    from campaigns.teams.services import TeamInput, create_team
    from donate import receipts, services
    from donate.stripe_gateway import StripeGateway

    gateway = StripeGateway.from_config(app.config)

    drive = demo["drive"]
    seed_matching(db.session)
    team = create_team(db.session, drive, TeamInput(name="陆家嘴读书会", goal="5000"), "e2e")
    donation, _pi = services.create_donation(
        db.session, gateway, campaign=drive, designation=drive.designations[0], gift_fen=5_000,
        cover_fee=False, donor_name="王小明", message="新年快乐，万家灯火。",
        email="wang@example.org", client_ip="203.0.113.9", payment_method="pm_card_visa",
        confirm=True)
    assert services.sync_donation(db.session, gateway, donation)  # booked, as on the thank-you page
    db.session.commit()
    number = donation.receipt_number
    code = receipts.receipt_code(app.config["SECRET_KEY"], number)
    slug, wishes = drive.slug, demo["wish_drive"].slug
    return {
        "home": "/", "campaign": f"/c/{slug}", "donate": f"/c/{slug}/donate",
        "thanks": f"/donations/{donation.token}/thanks",
        "receipt": f"/receipts/{number}?code={code}",
        "verify": "/receipts/verify", "verified": f"/receipts/verify?number={number}&code={code}",
        "wish-drive": f"/c/{wishes}", "wish-board": f"/c/{wishes}/wishes",
        "teams": f"/c/{slug}/teams", "team": f"/c/{slug}/t/{team.slug}",
        "where-the-money-went": f"/c/{slug}/where-the-money-went", "trace": "/trace",
        "donor-sign-in": "/donor/sign-in", "staff-login": "/login",
    }


def with_lang(url: str, lang: str) -> str:
    return url if lang == "zh" else url + ("&" if "?" in url else "?") + f"lang={lang}"


def open_page(page, url: str, large: bool = False) -> None:
    """Go to ``url`` with the large-text cookie set or cleared, as the header switch leaves it."""
    page.context.clear_cookies(name=TEXT_SIZE_COOKIE)
    if large:
        page.context.add_cookies([{"name": TEXT_SIZE_COOKIE, "value": "large", "url": url}])
    response = page.goto(url)
    assert response.status < 500, f"{url} answered {response.status}"


def walk_public_pages(page, live_server: str, site: dict, lang: str):
    """Open every public page in turn, in ``lang``; yield each page's name.

    Besides the pages reachable by address: a wish's own page if the board links one, and
    the reservation page that "I'll make this wish come true" leads to (visited last, since
    it reserves the wish)."""
    for name, path in site.items():
        open_page(page, with_lang(live_server + path, lang))
        yield name
        if name == "donate":
            refuse_amount(page)
            yield "donate-errors"
            go_to_payment(page)
            yield "pay"
        if name == "wish-board":
            board = page.url
            detail = page.locator(".wish h2 a").first
            if detail.count():
                open_page(page, detail.evaluate("a => a.href"))
                yield "wish-detail"
    open_page(page, board)
    with page.expect_navigation():
        page.locator(".wish form button[type=submit]").first.click()
    assert "/wishes/r/" in page.url, page.url
    yield "wish-reservation"


def refuse_amount(page) -> None:
    """Send the donate form with an amount that is not one, so it comes back with errors."""
    page.check("#preset-custom")
    page.fill("input[name=custom_amount]", "12.345")
    with page.expect_navigation():
        page.click("form.donate-form button[type=submit]")
    assert page.locator(".has-error").count(), "the form should come back with its errors"


def go_to_payment(page) -> None:
    """From the donate form to the card step: ¥50 to the first designation."""
    page.check("input[name=preset][value='5000']")
    page.check("input[name=designation] >> nth=0")
    page.fill("input[name=donor_name]", "小明")
    page.fill("input[name=email]", "xiaoming@example.org")
    with page.expect_navigation():
        page.click("form.donate-form button[type=submit]")
    page.wait_for_selector("#card-element input")


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """Run axe-core on the open page; one line per violation of ``impacts``: its id, impact
    and the first targets.

    axe is vendored under static/ and injected here, never linked from a page. It is injected
    by URL (same origin), since the site's CSP rightly refuses the inline script that
    ``add_script_tag(path=…)`` would add — and bypassing the CSP would test another page."""
    origin = page.evaluate("() => location.origin")
    page.add_script_tag(url=f"{origin}/static/vendor/axe/{AXE.name}")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:4]]} — {v['help']}"
            for v in result["violations"] if v["impact"] in impacts]


#: The touch-target rule above, in the browser. Returns one line per target that is too small.
TARGETS_JS = r"""(min) => {
  const BLOCK = new Set(['block', 'list-item', 'table-cell', 'flex', 'grid']);
  const inRunningText = (el) => {
    let block = el.parentElement;
    while (block && !BLOCK.has(getComputedStyle(block).display)) block = block.parentElement;
    if (!block) return false;
    // Words outside any link or button, not separators: "下载二维码 · 下载分享图片" are two
    // targets side by side, not a sentence.
    const rest = block.cloneNode(true);
    rest.querySelectorAll('a, button').forEach((t) => t.remove());
    return /[\p{L}\p{N}]/u.test(rest.textContent);
  };
  const hidden = (el, box) => el.closest('[aria-hidden=true]') || box.width === 0
    || box.height === 0 || box.right <= 0 || box.bottom <= 0
    || getComputedStyle(el).visibility === 'hidden';
  const labelOf = (input) => input.closest('label')
    || (input.id && document.querySelector('label[for="' + input.id + '"]'));
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + ' "' + (el.innerText || el.value || el.name || '').trim().slice(0, 30) + '"';
  const small = [];
  const check = (el) => {
    const box = el.getBoundingClientRect();
    if (hidden(el, box)) return;
    if (box.width < min - 0.5 || box.height < min - 0.5)
      small.push(name(el) + ' ' + Math.round(box.width) + '×' + Math.round(box.height));
  };
  for (const el of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (el.tagName === 'A' && inRunningText(el)) continue;
    if (el.type === 'radio' || el.type === 'checkbox') {
      const label = labelOf(el);
      if (label) { check(label); continue; }
    }
    check(el);
  }
  return [...new Set(small)];
}"""


def small_targets(page) -> list[str]:
    return page.evaluate(TARGETS_JS, MIN_TARGET)


def overflow(page) -> int:
    """How many CSS px the page is wider than the viewport it was opened in (0 when it fits).

    Measured against the viewport asked for, not ``innerWidth``: a phone browser widens its
    layout viewport to fit a page that is too wide, so ``innerWidth`` would grow with the page."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    return max(0, width - page.viewport_size["width"])
