"""Chinese first, English second: locale choice, complete catalogs, a fresh .pot, no
formatting inside gettext."""
import ast
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from core.extensions import db

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ("zh_Hans_CN", "en")
PACKAGES = ("core", "ledger", "campaigns", "donate", "finance")
UNAVAILABLE = "That language is not available; showing 中文 or English instead."
GETTEXT_NAMES = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext",
                 "lazy_pgettext"}
#: Calls whose first argument is a context and whose message comes second.
CONTEXT_NAMES = {"pgettext", "lazy_pgettext"}


def lang_of(resp) -> str:
    return re.search(r'<html lang="([^"]+)"', resp.get_data(as_text=True)).group(1)


# -- choosing the language ----------------------------------------------------------------

@pytest.mark.parametrize("accept, lang", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
    ("zh-TW,zh;q=0.8", "zh-CN"),
    ("zh", "zh-CN"),
    ("en-US", "en"),
    ("en-GB,en;q=0.9,zh-CN;q=0.5", "en"),
    ("fr-FR,fr;q=0.9", "zh-CN"),
    ("fr-FR,fr;q=0.9,en;q=0.5", "en"),
    (None, "zh-CN"),
])
def test_accept_language_maps_any_chinese_to_chinese(client, accept, lang):
    headers = {"Accept-Language": accept} if accept else {}
    assert lang_of(client.get("/", headers=headers)) == lang


def test_lang_parameter_wins_and_is_remembered_in_a_cookie(client):
    resp = client.get("/?lang=en", headers={"Accept-Language": "zh-CN"})
    assert lang_of(resp) == "en"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert lang_of(client.get("/", headers={"Accept-Language": "zh-CN"})) == "en"
    assert lang_of(client.get("/?lang=zh-CN")) == "zh-CN"
    assert lang_of(client.get("/", headers={"Accept-Language": "en-US"})) == "zh-CN"


def test_unsupported_lang_parameter_says_so_and_changes_nothing(client):
    resp = client.get("/?lang=xx")
    assert resp.status_code == 200
    assert lang_of(resp) == "zh-CN"
    assert "Set-Cookie" not in resp.headers or "lang=" not in resp.headers["Set-Cookie"]
    with force_locale("zh_Hans_CN"):
        assert gettext(UNAVAILABLE) in resp.get_data(as_text=True)
    english = client.get("/?lang=xx", headers={"Accept-Language": "en-US"})
    assert lang_of(english) == "en"
    assert f'<p class="flash flash-warning">{UNAVAILABLE}</p>' in english.get_data(as_text=True)


def test_language_switch_keeps_the_query_string(client):
    html = client.get("/?lang=en&page=2&q=%E4%B8%87").get_data(as_text=True)
    assert 'href="/?page=2&amp;q=%E4%B8%87&amp;lang=zh_Hans_CN"' in html


def test_money_is_formatted_by_babel_in_each_locale(app):
    from core.i18n import money

    with app.test_request_context("/"):
        with force_locale("zh_Hans_CN"):
            assert money(12345600) == "¥123,456.00"
        with force_locale("en"):
            assert money(12345600) == "CN¥123,456.00"
            assert money(5, "JPY") == "¥5"


# -- the catalogs -------------------------------------------------------------------------

def _read_po(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def _ids(catalog) -> set:
    return {m.id for m in catalog if m.id}


def _extract_like_make(tmp_path: Path) -> Path:
    """Run the Makefile's own ``extract-messages`` command, writing to a temporary file."""
    makefile = (ROOT / "Makefile").read_text()
    line = re.search(r"^\t\$\(BIN\)/pybabel (.*extract.*)$", makefile, re.M).group(1)
    args = shlex.split(line)
    out = tmp_path / "messages.pot"
    args[args.index("-o") + 1] = str(out)
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), *args], cwd=ROOT, check=True,
                   capture_output=True)
    return out


def test_messages_pot_is_up_to_date_with_the_source(tmp_path):
    fresh = _ids(_read_po(_extract_like_make(tmp_path)))
    committed = _ids(_read_po(ROOT / "translations" / "messages.pot"))
    assert sorted(fresh - committed) == [], "new strings: run `make update-messages`"
    assert sorted(committed - fresh) == [], "stale strings: run `make update-messages`"


@pytest.mark.parametrize("locale", CATALOGS)
def test_catalog_has_every_message_translated_and_none_fuzzy(locale):
    catalog = _read_po(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po")
    pot = _read_po(ROOT / "translations" / "messages.pot")
    missing = sorted(_ids(pot) - _ids(catalog))
    untranslated = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                          if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string))
    fuzzy = sorted(str(m.id) for m in catalog if m.id and m.fuzzy)
    assert missing == [], f"{locale}: not in the catalog, run `make update-messages`"
    assert untranslated == [], f"{locale}: untranslated"
    assert fuzzy == [], f"{locale}: fuzzy, check and clear the flag"


@pytest.mark.parametrize("locale", CATALOGS)
def test_translations_keep_their_placeholders(locale):
    catalog = _read_po(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po")
    errors = [(str(m.id), [str(e) for e in errs]) for m, errs in catalog.check()]
    assert errors == []


@pytest.mark.parametrize("locale", CATALOGS)
def test_compiled_catalog_matches_the_po_file(locale):
    folder = ROOT / "translations" / locale / "LC_MESSAGES"
    mo = folder / "messages.mo"
    assert mo.exists(), "run `make translations` to compile the catalogs"
    with mo.open("rb") as f:
        compiled = dict(_keyed(m) for m in read_mo(f) if m.id)
    source = dict(_keyed(m) for m in _read_po(folder / "messages.po") if m.id and m.string and not m.fuzzy)
    assert compiled == source, "stale .mo: run `make translations`"


def _keyed(message):
    """(context, msgid) → msgstr, with plural ids and strings as tuples (the .mo has lists)."""
    def flat(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return (message.context, flat(message.id)), flat(message.string)


# -- how the source calls gettext ---------------------------------------------------------

def _gettext_calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES:
            yield node


def _source_files():
    for package in PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def test_gettext_gets_literal_strings_with_named_placeholders():
    bad = []
    for path in _source_files():
        for call in _gettext_calls(ast.parse(path.read_text(), str(path))):
            index = 1 if call.func.id in CONTEXT_NAMES else 0
            first = call.args[index] if len(call.args) > index else None
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                bad.append(f"{where}: not a literal string")
            elif re.search(r"%[sd]|\{\}|\{\d*\}", first.value):
                bad.append(f"{where}: positional placeholder in {first.value!r}")
    assert bad == []


def test_templates_use_no_positional_placeholders_in_gettext():
    call = re.compile(r"""_\(\s*(['"])(.*?)\1""")
    bad = []
    for path in (ROOT / "templates").rglob("*.html"):
        for _quote, text in call.findall(path.read_text()):
            if re.search(r"%[sd]|\{\}|\{\d*\}", text):
                bad.append(f"{path.relative_to(ROOT)}: {text}")
    assert bad == []


# -- amounts, dates and staff-written text in the reader's language -----------------------

def _campaign(**fields):
    from datetime import datetime

    from ledger.chart import seed_chart
    from tests.conftest import campaign_in_status

    seed_chart(db.session)
    fields = {"slug": "wanjia", "title_zh": "万人捐、帮万家", "goal_fen": 123_400,
              # Midnight and 11 am in Shanghai: the page shows the foundation's dates, not UTC's.
              "starts_at": datetime(2026, 11, 28, 16, 0), "ends_at": datetime(2026, 12, 31, 3, 0),
              **fields}
    return campaign_in_status("live", **fields)


def test_campaign_page_formats_money_and_dates_for_the_locale(client):
    _campaign()
    zh = client.get("/c/wanjia?lang=zh-CN").get_data(as_text=True)
    en = client.get("/c/wanjia?lang=en").get_data(as_text=True)
    assert "¥1,234.00" in zh and "CN¥" not in zh
    assert "CN¥1,234.00" in en
    assert '<p class="dates">活动时间：2026年11月29日至2026年12月31日</p>' in zh
    assert '<p class="dates">Runs from Nov 29, 2026 to Dec 31, 2026</p>' in en


def test_format_day_uses_babel_and_the_foundations_time_zone(app):
    from datetime import date, datetime

    from core.i18n import format_day

    with app.test_request_context("/"):
        with force_locale("zh_Hans_CN"):
            assert format_day(date(2026, 11, 29)) == "2026年11月29日"
            assert format_day(datetime(2026, 11, 28, 16, 30)) == "2026年11月29日"
        with force_locale("en"):
            assert format_day(date(2026, 11, 29)) == "Nov 29, 2026"
            assert format_day(date(2026, 11, 29), "long") == "November 29, 2026"


def test_english_page_falls_back_to_chinese_marked_as_chinese(client):
    _campaign(story_zh="为困难家庭送去年货。")
    en = client.get("/c/wanjia?lang=en").get_data(as_text=True)
    assert '<h1 lang="zh-CN">万人捐、帮万家</h1>' in en
    assert '<section class="story" lang="zh-CN">' in en and "为困难家庭送去年货。" in en
    zh = client.get("/c/wanjia?lang=zh-CN").get_data(as_text=True)
    assert "<h1>万人捐、帮万家</h1>" in zh and '<section class="story">' in zh


def test_english_page_shows_english_when_staff_gave_it(client):
    _campaign(title_en="10,000 donors help 10,000 homes", story_en="Year-end gift packs.")
    en = client.get("/c/wanjia?lang=en").get_data(as_text=True)
    assert "<h1>10,000 donors help 10,000 homes</h1>" in en
    assert '<section class="story">' in en and "Year-end gift packs." in en


def test_bilingual_helper_escapes_and_marks_only_a_fallback(app):
    from types import SimpleNamespace

    from core.i18n import bilingual, lang_attr

    wish = SimpleNamespace(item="<b>新书包</b>", item_en="")
    with app.test_request_context("/"):
        with force_locale("en"):
            assert bilingual(wish, "item") == '<span lang="zh-CN">&lt;b&gt;新书包&lt;/b&gt;</span>'
            assert lang_attr(wish, "item") == ' lang="zh-CN"'
            wish.item_en = "A <new> schoolbag"
            assert bilingual(wish, "item") == "A &lt;new&gt; schoolbag"
            assert lang_attr(wish, "item") == ""
        with force_locale("zh_Hans_CN"):
            assert bilingual(wish, "item") == "&lt;b&gt;新书包&lt;/b&gt;"


def test_a_wish_in_english_shows_its_english_item_or_marks_the_chinese(client):
    from tests.wishes import support

    drive = support.make_drive(db.session)
    plain = support.make_wish(db.session, drive)
    both = support.make_wish(db.session, drive, item_en="A new schoolbag", story_en="She wants one.")
    db.session.commit()
    board = client.get(f"/c/{drive.slug}/wishes?lang=en").get_data(as_text=True)
    assert f'<li class="card wish" data-wish="{plain.id}"' in board
    assert '<span lang="zh-CN">新书包</span>' in board and "A new schoolbag" in board
    page = client.get(f"/w/{both.id}?lang=en").get_data(as_text=True)
    assert "<h1>A new schoolbag <span" in page and '<p class="story">She wants one.</p>' in page


def test_one_english_word_in_two_senses_gets_two_chinese_words(app):
    """pgettext contexts: a closed month is 已结账 where a closed drive is 已结束, money
    received is 已到账 where goods received are 已收货."""
    from campaigns import state as campaign_state
    from campaigns.homes import state as homes_state
    from campaigns.matching import state as pledge_state
    from donate import state as donation_state
    from ledger.forms import PERIOD_STATUS_LABELS

    with app.test_request_context("/"), force_locale("zh_Hans_CN"):
        assert str(PERIOD_STATUS_LABELS["closed"]) == "已结账"
        assert str(PERIOD_STATUS_LABELS["open"]) == "未结账"
        assert str(campaign_state.STATUS_LABELS[campaign_state.CLOSED]) == "已结束"
        assert str(donation_state.STATUS_LABELS[donation_state.SUCCEEDED]) == "已到账"
        assert str(homes_state.STATUS_LABELS[homes_state.RECEIVED]) == "已收货"
        assert str(campaign_state.STATUS_LABELS[campaign_state.LIVE]) == "进行中"
        assert str(pledge_state.STATUS_LABELS[pledge_state.LIVE]) == "已上线"


def test_lists_and_colons_follow_the_locale(app):
    from core.i18n import colon, format_list

    with app.test_request_context("/"):
        with force_locale("zh_Hans_CN"):
            assert format_list(["甲公司", "乙公司", "丙公司"]) == "甲公司、乙公司和丙公司"
            assert colon() == "："
        with force_locale("en"):
            assert format_list(["Acme", "Globex", "Initech"]) == "Acme, Globex, and Initech"
            assert colon() == ": "


def test_staff_give_a_wish_in_english_too_and_overlong_english_writes_nothing(client, login):
    import sqlalchemy as sa

    from campaigns.wishes.models import Wish
    from tests.wishes import support

    drive = support.make_drive(db.session)
    login("staff")
    form = {"beneficiary": "小明", "age_band": "7–9岁", "street": "ZQ", "category": "culture",
            "item": "一套绘本", "price": "88.50", "item_en": "Picture books", "story_en": "He loves reading."}
    too_long = client.post(f"/staff/wishes/drives/{drive.slug}/wishes?lang=en",
                           data={**form, "item_en": "x" * 121})
    assert too_long.status_code == 400 and "At most 120 characters." in too_long.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Wish)) == 0
    assert client.post(f"/staff/wishes/drives/{drive.slug}/wishes", data=form).status_code == 302
    wish = db.session.scalar(sa.select(Wish))
    assert (wish.item, wish.item_en, wish.story_en) == ("一套绘本", "Picture books", "He loves reading.")
