"""The catalogs read as if a person wrote them: tools/i18n_check passes on both, and each of
its rules catches the mistake it is there for."""
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from tools.i18n_check import broken_templates, check, message_problems, tighten

ROOT = Path(__file__).resolve().parent.parent


def test_both_catalogs_pass_the_checker():
    assert check(ROOT / "translations") == []


def zh(msgid, msgstr, context=None):
    return message_problems(msgid, msgstr, "zh_Hans_CN", context)


@pytest.mark.parametrize("msgid, msgstr, problem", [
    ("Community sub-funds", "社区专项基金", "“community (charity )?sub-funds?” should be 社区慈善专项基金"),
    ("Micro-wish", "小心愿", "“micro-wish” should be 微心愿"),
    ("New sponsor", "新建赞助商", "“sponsors?” should be 配捐方"),
    ("Matching pledges", "配捐", "“pledges?” should be 配捐承诺 / 承诺"),
    ("Gift packs delivered", "已发放礼包", "“gift[- ]packs?” should be 年货大礼包"),
    ("Restricted net assets", "受限净资产", "“restricted” should be 限定性"),
    ("Where the money went", "钱去哪儿了", "“where the money went” should be 善款去向"),
])
def test_a_design_term_translated_against_the_glossary_is_caught(msgid, msgstr, problem):
    assert zh(msgid, msgstr) == [problem]


def test_the_glossary_ignores_placeholders_and_exempt_messages():
    assert zh("Edit %(sponsor)s", "编辑%(sponsor)s") == []
    assert zh("Fund", "标记为已认领", context="wish") == []
    assert zh("Fund", "标记为已认领") == ["“funds?” should be 基金"]


@pytest.mark.parametrize("msgstr", ["捐赠人(选填)", "金额:", "街镇,居委", "状态:%(status)s", "谢谢!"])
def test_ascii_punctuation_next_to_chinese_is_caught(msgstr):
    assert zh("x %(status)s" if "%" in msgstr else "x", msgstr) == ["ASCII punctuation next to Chinese: use ，：；（）！？"]


def test_ascii_punctuation_between_latin_words_and_in_placeholders_is_fine():
    assert zh("Ratio", "比例，如1:1、2:1或1:2") == []
    assert zh("%(field)s: %(message)s", "%(field)s：%(message)s") == []
    assert zh("Columns", "英文列名 street, committee") == []


def test_full_width_digits_and_ascii_ellipses_are_caught():
    assert zh("Line 3", "第３行") == ["full-width letters or digits: write them half-width"]
    assert zh("Loading...", "加载中...") == ["“...” in Chinese: use ……"]
    assert zh("Loading...", "加载中……") == []


def test_spaces_between_chinese_and_numbers_are_caught_and_tightened():
    assert zh("%(count)d households", "已登记 %(count)d 户") == [
        "no space between Chinese and numbers: '已登记%(count)d户'"]
    assert tighten("第 %(line)s 行，共 3 行") == "第%(line)s行，共3行"
    # Amounts, e-mail addresses and Latin words keep their spaces; so do codes like UTF-8.
    assert tighten("已支出 %(amount)s，文件为 UTF-8 编码") == "已支出 %(amount)s，文件为 UTF-8 编码"
    assert tighten("配捐 #%(id)d 已驳回") == "配捐 #%(id)d 已驳回"


def test_english_left_in_the_chinese_catalog_is_caught_except_brand_names():
    assert zh("Save settings", "Save settings") == ["left in English"]
    assert zh("Save settings", "Save") == ["left in English"]
    assert zh("Stripe dispute", "Stripe 争议") == []
    assert zh("Stripe", "Stripe") == []
    assert zh("¥100–¥300", "¥100–¥300") == []


def test_placeholders_must_survive_in_both_languages():
    assert message_problems("Pay %(amount)s", "支付 %(sum)s", "zh_Hans_CN") == [
        "placeholders ['%(amount)s'] became ['%(sum)s']"]
    assert message_problems("Pay %(amount)s", "Pay", "en") == [
        "placeholders ['%(amount)s'] became []"]


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog)


def test_missing_empty_and_fuzzy_translations_are_caught(tmp_path):
    pot = Catalog()
    for msgid in ("Save", "Cancel", "Donate"):
        pot.add(msgid)
    _write(tmp_path / "messages.pot", pot)
    for locale, strings in (("zh_Hans_CN", {"Save": "保存", "Cancel": ""}),
                            ("en", {"Save": "Save", "Cancel": "Cancel", "Donate": "Donate"})):
        catalog = Catalog(locale=locale)
        for msgid, msgstr in strings.items():
            catalog.add(msgid, msgstr, flags=("fuzzy",) if msgid == "Save" and locale == "en" else ())
        _write(tmp_path / locale / "LC_MESSAGES" / "messages.po", catalog)
    assert check(tmp_path) == [
        "zh_Hans_CN: missing 'Donate'",
        "zh_Hans_CN: 'Cancel': not translated",
        "en: fuzzy 'Save'",
    ]


def test_a_template_jinja_cannot_parse_is_named_before_extraction_skips_it(tmp_path):
    (tmp_path / "good.html").write_text("{{ _('Save') }}{% if x %}{{ pgettext('period', 'Closed') }}{% endif %}")
    (tmp_path / "bad.html").write_text("{{ _('Save') }}\n{% if %}")
    assert broken_templates(tmp_path) == ["bad.html:2: Expected an expression, got 'end of statement block'"]
    assert broken_templates(ROOT / "templates") == []
