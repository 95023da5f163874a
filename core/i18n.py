"""Chinese first, English second.

Browsers send ``zh-CN``; Babel's catalogs are named ``zh_Hans_CN``. Any ``zh*`` maps to the
Chinese catalog here, since ``best_match`` would otherwise pick English (see FACTS.md).
"""
from urllib.parse import urlencode

from babel import lists
from flask import current_app, flash, has_request_context, request
from flask_babel import (format_currency, format_date, format_datetime, format_number,
                         format_time, get_locale)
from flask_babel import gettext as _
from markupsafe import Markup, escape

from core.extensions import babel

ZH = "zh_Hans_CN"
EN = "en"
LANG_COOKIE = "lang"
#: What ``?lang=`` accepts, and the catalog each maps to.
LANG_ALIASES = {"zh": ZH, "zh-cn": ZH, "zh_cn": ZH, "zh-hans": ZH, "zh_hans_cn": ZH, "en": EN}
LANG_LABELS = {ZH: "中文", EN: "English"}


def normalise_lang(value: str | None) -> str | None:
    return LANG_ALIASES.get((value or "").strip().lower())


def _from_accept_language() -> str:
    for value, _quality in request.accept_languages:
        tag = value.lower()
        if tag.startswith("zh"):
            return ZH
        if tag.startswith("en"):
            return EN
    return ZH


def select_locale() -> str:
    if not has_request_context():  # CLI commands, jobs, tests outside a request
        return ZH
    asked = normalise_lang(request.args.get("lang"))
    return asked or normalise_lang(request.cookies.get(LANG_COOKIE)) or _from_accept_language()


def lang_url(code: str) -> str:
    """This page in language ``code``, keeping the rest of its query string."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode(args + [("lang", code)])


def money(amount_minor: int, currency: str = "CNY") -> str:
    """Format integer minor units for the current locale (``¥1,234.00`` / ``CN¥1,234.00``)."""
    from decimal import Decimal

    digits = 2 if currency not in ("JPY", "KRW") else 0
    return format_currency(Decimal(amount_minor).scaleb(-digits), currency)


def format_day(value, width: str = "medium") -> str:
    """A date (or a UTC datetime, shown in the foundation's time zone) for the current locale:
    ``2026年11月29日`` / ``Nov 29, 2026``. Exports, journals and receipt numbers stay ISO."""
    return format_date(value, width)


def format_list(items) -> str:
    """Names joined for the current locale: ``甲、乙和丙`` / ``A, B, and C``."""
    return lists.format_list([str(item) for item in items], locale=_current_lang())


def colon() -> str:
    """The colon after a label: full-width ``：`` in Chinese, ``: `` in English."""
    return "：" if _current_lang() != EN else ": "


def _current_lang() -> str:
    return str(get_locale() or ZH)


def _pick(obj, field: str) -> tuple[str, bool]:
    """(text, is_fallback): ``obj.<field>_en`` on an English page when staff filled it, else
    the Chinese, from ``obj.<field>_zh`` or, where there is none, plain ``obj.<field>``."""
    chinese = getattr(obj, f"{field}_zh", None)
    if chinese is None:
        chinese = getattr(obj, field, "")
    if _current_lang() != EN:
        return chinese or "", False
    english = getattr(obj, f"{field}_en", "") or ""
    return (english, False) if english.strip() else (chinese or "", bool(chinese))


def lang_attr(obj, field: str) -> Markup:
    """`` lang="zh-CN"`` for an element showing Chinese on an English page, else nothing."""
    return Markup(' lang="zh-CN"') if _pick(obj, field)[1] else Markup("")


def bilingual(obj, field: str) -> Markup:
    """Staff-written text in the reader's language, falling back to Chinese, which is then
    marked ``lang="zh-CN"`` so that screen readers and fonts treat it as Chinese."""
    text, fallback = _pick(obj, field)
    return Markup('<span lang="zh-CN">%s</span>') % text if fallback else escape(text)


def _check_lang_param():
    raw = request.args.get("lang")
    if raw is not None and normalise_lang(raw) is None:
        flash(_("That language is not available; showing 中文 or English instead."), "warning")


def _remember_lang(response):
    asked = normalise_lang(request.args.get("lang"))
    if asked:
        response.set_cookie(
            LANG_COOKIE, asked, max_age=365 * 86400, samesite="Lax", httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(_check_lang_param)
    app.after_request(_remember_lang)
    app.jinja_env.globals.update(
        get_locale=get_locale, lang_labels=LANG_LABELS, lang_url=lang_url, money=money,
        format_date=format_date, format_datetime=format_datetime, format_number=format_number,
        format_time=format_time, format_day=format_day, bilingual=bilingual, lang_attr=lang_attr,
        colon=colon, format_list=format_list,
    )
    app.jinja_env.filters["money"] = money
