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

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ("zh_Hans_CN", "en")
PACKAGES = ("core", "ledger", "campaigns", "donate")
UNAVAILABLE = "That language is not available; showing 中文 or English instead."
GETTEXT_NAMES = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext"}


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
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    source = {m.id: m.string for m in _read_po(folder / "messages.po") if m.id and m.string and not m.fuzzy}
    assert compiled == source, "stale .mo: run `make translations`"


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
            first = call.args[0] if call.args else None
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
