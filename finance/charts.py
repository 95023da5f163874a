"""Charts for the staff and finance pages, drawn by :mod:`core.charts` from the very queries
the statements use (never a second calculation):

* gifts over time on the staff campaign page: the donations register's gifts per books day
  (:func:`finance.statements_registers.gifts_by_day`), count and amount;
* sub-fund balances on the fund balances statement: the closing balance of each community
  sub-fund in :func:`ledger.statements.fund_balances`.

The staff campaign page lives in ``campaigns``, below this layer, so it gets its chart from
the template global ``gifts_over_time`` registered here (upward news by registration, not by
an import).
"""
from datetime import date, timedelta

import sqlalchemy as sa
from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext

from core import charts
from core.extensions import db
from core.i18n import money
from finance.statements_registers import gifts_by_day
from ledger.models import Fund
from ledger.statements import FundBalances

#: The gifts chart shows at most this many days, the most recent ones.
MAX_DAYS = 92


def _day_label(day: date) -> str:
    return format_skeleton("MMMd", day, locale=get_locale())


def daily_series(rows: list[tuple[date, int, int]]) -> list[tuple[date, int, int]]:
    """``rows`` with the days without gifts filled in as zeros, the last :data:`MAX_DAYS`."""
    if not rows:
        return []
    found = {day: (count, amount) for day, count, amount in rows}
    first, last = rows[0][0], rows[-1][0]
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    return [(day, *found.get(day, (0, 0))) for day in days]


def gifts_chart(rows: list[tuple[date, int, int]], currency: str) -> charts.Chart:
    """Columns of money given per day and a line of the number of gifts."""
    series = daily_series(rows)
    items = [charts.Item(_day_label(day), amount, money(amount, currency), count,
                         ngettext("%(num)d gift", "%(num)d gifts", count)) for day, count, amount in series]
    top = max((amount for _day, _count, amount in series), default=0)
    return charts.column_chart(items, _("Gifts per day"), (_("Day"), _("Gifts"), _("Amount")),
                               (_("Amount"), _("Gifts")), money(top, currency))


def gifts_over_time(campaign) -> charts.Chart:
    """The staff campaign page's chart (a template global)."""
    return gifts_chart(gifts_by_day(db.session, campaign.id, campaign.currency), campaign.currency)


def subfund_chart(session, fb: FundBalances, locale: str) -> charts.Chart:
    """Horizontal bars of each community sub-fund's closing balance."""
    subfunds = set(session.scalars(sa.select(Fund.code).where(Fund.kind == "subfund")))
    items = [charts.Item(row.name(locale), row.closing, money(row.closing, fb.currency))
             for row in fb.rows if row.code in subfunds]
    return charts.bar_chart(items, _("Community sub-fund balances at %(date)s", date=fb.end.isoformat()),
                            (_("Sub-fund"), _("Balance")))


def register_globals(setup_state) -> None:
    setup_state.app.jinja_env.globals["gifts_over_time"] = gifts_over_time
