"""Chinese first, English second.

Browsers send ``zh-CN``; Babel's catalogs are named ``zh_Hans_CN``. Any ``zh*`` maps to the
Chinese catalog here, since ``best_match`` would otherwise pick English (see FACTS.md).
"""
from urllib.parse import urlencode

from flask import current_app, flash, has_request_context, request
from flask_babel import format_currency, format_date, format_datetime, format_number, get_locale
from flask_babel import gettext as _

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
    )
    app.jinja_env.filters["money"] = money
