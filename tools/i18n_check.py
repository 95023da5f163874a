"""Check both catalogs for what a reader would notice: gaps, broken placeholders, words.

Usage: .venv/bin/python -m tools.i18n_check [translations-dir]
       .venv/bin/python -m tools.i18n_check --templates [templates-dir]

The second form lists the templates Jinja cannot parse (``make extract-messages`` runs it
first, since pybabel skips such a template silently and its strings would leave the catalogs).

Prints one problem a line and exits 1 if there is any. It fails on:

- a message of the ``.pot`` missing from a catalog, an empty or a fuzzy translation;
- a translation whose ``%(name)s`` placeholders differ from its msgid's;
- in Chinese: a DESIGN.md term translated against the glossary below; ASCII ``, : ; ( ) ! ?``
  next to a Chinese character; full-width letters or digits; ``...`` for ``……``; a space
  between Chinese and a number (Chinese style writes ``共3行``, not ``共 3 行``); English left
  untranslated (a msgstr with Latin words and no Chinese, unless the msgid is a brand name or
  a code in ``UNTRANSLATED_OK``).

The workflow: ``make update-messages``; translate the new Chinese entries (one Chinese word
per concept, as the glossary says; a word used in two senses gets a ``pgettext`` context, as
``pgettext('period', 'Closed')`` 已结账 beside ``_('Closed')`` 已结束); fill the English with
``python -m tools.i18n_fill_en``; run this check; ``make translations``.

The checks are plain functions over (msgid, msgstr) pairs so that a test can feed them one
bad message at a time.
"""
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ZH = "zh_Hans_CN"
EN = "en"
CJK = "[\u3400-\u9fff\uf900-\ufaff]"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")

#: English term (a regex, case-insensitive) → the Chinese words of which one must appear.
#: From DESIGN.md's "Words" table, plus the words the catalog settled on for the rest.
GLOSSARY = (
    (r"micro-wish", ("微心愿",)),
    (r"community (charity )?sub-funds?", ("社区慈善专项基金",)),
    (r"sub-funds?", ("专项基金",)),
    (r"paired[- ](aid )?regions?", ("对口援建地区",)),
    (r"gift[- ]packs?", ("年货大礼包",)),
    (r"households?", ("困难家庭", "家庭", "户")),
    (r"pledges?", ("配捐承诺", "承诺")),
    (r"matching", ("配捐",)),
    (r"sponsors?", ("配捐方",)),
    (r"designations?", ("定向",)),
    (r"campaigns?|drives?", ("募捐活动", "活动", "募捐")),
    (r"funds?", ("基金",)),
    (r"entry|entries", ("凭证",)),
    (r"postings?", ("分录", "凭证")),
    (r"restricted", ("限定性",)),
    (r"unrestricted", ("非限定性",)),
    (r"where the money went", ("善款去向",)),
    (r"streets?/towns?", ("街镇",)),
    (r"donors?", ("捐赠人", "爱心人士")),
    (r"payouts?", ("结算到账",)),
    (r"liaisons?", ("联络员",)),
    (r"monthly gifts?", ("月捐",)),
    (r"year-end (donor )?statements?", ("年度捐赠报告",)),
    (r"escrow", ("预付",)),
    (r"reversed|reversing|reversal|reverses?", ("冲销",)),
    (r"chart of accounts", ("会计科目表",)),
    (r"pool", ("配捐额度", "配捐")),
    (r"receipts?", ("收据", "小票", "收货")),
    (r"wish(es)?", ("心愿",)),
    (r"teams?", ("团队",)),
    (r"refunds?|refunded", ("退款", "退还", "退回")),
    (r"periods?", ("期间", "本期")),
)
#: Messages where the glossary does not apply, as (context, msgid): why.
GLOSSARY_EXEMPT = {
    (None, "Ten thousand donors help ten thousand homes."): "the drive's slogan, 万人捐、帮万家",
    (None, "Waiting for a donor"): "a wish's state, 待认领",
    (None, "I'll fund a part of this wish"): "fund, the verb",
    ("wish", "Fund"): "fund, the verb: mark a wish funded",
    (None, "A monthly gift is charged on the same day each month; you can pause, change or stop "
           "it from your donor page. The smallest monthly gift is %(amount)s."):
        "the donor page is called “我的捐款” in the menu",
    (None, "“Balance change from activity” or “Payout reconciliation”, itemised, as downloaded "
           "from the dashboard."): "names of Stripe's reports, kept in English",
}
#: Messages that may stay as they are in Chinese: brand names, codes, formats.
UNTRANSLATED_OK = {"Stripe", "CSV", "Excel", "PDF", "UTF-8", "GBK", "OK", "ID", "Wanjia"}
#: Full-width letters and digits (ＡＢＣ１２３): Chinese text writes them half-width.
FULL_WIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
ASCII_PUNCT_NEXT_TO_CJK = re.compile(f"{CJK}[,:;()!?]|[,:;()!?]{CJK}")
#: A number: a literal one or a placeholder that holds one (``%(n)d``, or these ``%(…)s``).
NUMBER_NAMES = {"count", "line", "first", "days", "max", "min", "new", "known", "alike", "seen",
                "payouts", "unmatched", "byte", "pos", "minutes", "shown"}
NUMBER = r"-?\d[\d,]*(?:\.\d+)?%?|%\(\w+\)[ds]"
SPACE_BEFORE_NUMBER = re.compile(f"({CJK}) ({NUMBER})(?![A-Za-z0-9_-])")
SPACE_AFTER_NUMBER = re.compile(f"(?<![A-Za-z_#.:-])({NUMBER}) ({CJK})")


def placeholders(text: str) -> set:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


def _is_number(token: str) -> bool:
    named = re.fullmatch(r"%\((\w+)\)([ds])", token)
    return not named or named.group(2) == "d" or named.group(1) in NUMBER_NAMES


def tighten(text: str) -> str:
    """``text`` without the spaces between Chinese and numbers."""
    text = SPACE_BEFORE_NUMBER.sub(
        lambda m: m.group(1) + m.group(2) if _is_number(m.group(2)) else m.group(0), text)
    return SPACE_AFTER_NUMBER.sub(
        lambda m: m.group(1) + m.group(2) if _is_number(m.group(1)) else m.group(0), text)


def glossary_problems(msgid: str, msgstr: str, context: str | None = None) -> list[str]:
    if (context, msgid) in GLOSSARY_EXEMPT:
        return []
    problems = []
    words = PLACEHOLDER.sub(" ", msgid)
    for term, chinese in GLOSSARY:
        if re.search(rf"\b(?:{term})\b", words, re.I) and not any(w in msgstr for w in chinese):
            problems.append(f"“{term}” should be {' / '.join(chinese)}")
    return problems


def zh_problems(msgid: str, msgstr: str, context: str | None = None) -> list[str]:
    """What is wrong with one Chinese translation (empty list: nothing)."""
    problems = glossary_problems(msgid, msgstr, context)
    bare = PLACEHOLDER.sub("X", msgstr)
    if ASCII_PUNCT_NEXT_TO_CJK.search(bare):
        problems.append("ASCII punctuation next to Chinese: use ，：；（）！？")
    if FULL_WIDTH_ALNUM.search(msgstr):
        problems.append("full-width letters or digits: write them half-width")
    if "..." in msgstr:
        problems.append("“...” in Chinese: use ……")
    if tighten(msgstr) != msgstr:
        problems.append(f"no space between Chinese and numbers: {tighten(msgstr)!r}")
    latin = re.search("[A-Za-z]{2,}", PLACEHOLDER.sub("", msgstr))
    if latin and not re.search(CJK, msgstr) and msgid not in UNTRANSLATED_OK:
        problems.append("left in English")
    return problems


def message_problems(msgid: str, msgstr: str, locale: str, context: str | None = None) -> list[str]:
    if not msgstr:
        return ["not translated"]
    problems = []
    if placeholders(msgid) != placeholders(msgstr):
        problems.append(f"placeholders {sorted(placeholders(msgid))} became "
                        f"{sorted(placeholders(msgstr))}")
    if locale == ZH:
        problems += zh_problems(msgid, msgstr, context)
    return problems


def _read(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def _pairs(message):
    """(msgid, msgstr) pairs of a message, one per plural form."""
    ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    for index, text in enumerate(strings or ("",)):
        yield ids[min(index, len(ids) - 1)] if index else ids[0], text or ""


def _label(message) -> str:
    """``msgid`` (the singular of a plural), after its ``[context]`` if it has one."""
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return f"[{message.context}] {msgid}" if message.context else msgid


def catalog_problems(folder: Path, locale: str) -> list[str]:
    catalog = _read(folder / locale / "LC_MESSAGES" / "messages.po")
    have = {_label(m) for m in catalog if m.id}
    wanted = sorted(_label(m) for m in _read(folder / "messages.pot") if m.id)
    problems = [f"{locale}: missing {label!r}" for label in wanted if label not in have]
    for message in catalog:
        if not message.id:
            continue
        label = _label(message)
        if message.fuzzy:
            problems.append(f"{locale}: fuzzy {label!r}")
        for msgid, msgstr in _pairs(message):
            found = message_problems(msgid, msgstr, locale, message.context)
            problems += [f"{locale}: {label!r}: {p}" for p in found]
    return problems


def check(folder: Path) -> list[str]:
    return catalog_problems(folder, ZH) + catalog_problems(folder, EN)


def broken_templates(folder: Path) -> list[str]:
    """Templates Jinja cannot parse. ``pybabel extract`` skips them without a word (exit 0),
    and ``update-messages`` then drops their strings, translations and all, from the catalogs."""
    from jinja2 import Environment, TemplateSyntaxError

    env = Environment(extensions=["jinja2.ext.i18n"])
    problems = []
    for path in sorted(folder.rglob("*.html")):
        try:
            env.parse(path.read_text(encoding="utf-8"))
        except TemplateSyntaxError as err:
            problems.append(f"{path.relative_to(folder)}:{err.lineno}: {err.message}")
    return problems


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parent.parent
    if args[:1] == ["--templates"]:
        problems = broken_templates(Path(args[1]) if len(args) > 1 else root / "templates")
    else:
        problems = check(Path(args[0]) if args else root / "translations")
    for line in problems:
        print(line)
    print(f"{len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
