"""The charity-law gauge: each year's charitable spending and management costs against the
thresholds of 《关于慈善组织开展慈善活动年度支出和管理费用的规定》 (民政部、财政部、国家税务总局,
民发〔2016〕189号), article 7, for a foundation with public fundraising qualification:

- charitable-activity spending of the year ≥ 70% of the previous year's total income
  (article 10: or of the average income of the three years before);
- management costs of the year ≤ 10% of the year's total expenditure (article 11: a year
  whose management costs are under ¥200,000 is not held to that ratio).

From the chart: charitable spending is 业务活动成本 (5101 and its sub-accounts), management
costs 管理费用 (5201…), total expenditure every expense account, income every revenue
account. The thresholds are settings (``CHARITY_MIN_SPENDING_BPS``, ``CHARITY_MAX_ADMIN_BPS``,
``CHARITY_ADMIN_EXEMPT_FEN``). Ratios are integer arithmetic: a pass is decided by
cross-multiplying, never by a rounded percentage.
"""
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from finance.statements_tables import Column, Table
from ledger import chart
from ledger.models import Account, JournalEntry, Posting

PASS, FAIL, EXEMPT, NOT_APPLICABLE = "pass", "fail", "exempt", "n/a"


@dataclass(frozen=True)
class Thresholds:
    #: Basis points: 7000 = 70% of the previous year's income, at least.
    min_spending_bps: int = 7000
    #: At most 1000 = 10% of the year's total expenditure.
    max_admin_bps: int = 1000
    #: Management costs below this (fen) are not held to the ratio: ¥200,000.
    admin_exempt_fen: int = 20_000_000

    @classmethod
    def from_config(cls, config) -> "Thresholds":
        return cls(int(config.get("CHARITY_MIN_SPENDING_BPS", cls.min_spending_bps)),
                   int(config.get("CHARITY_MAX_ADMIN_BPS", cls.max_admin_bps)),
                   int(config.get("CHARITY_ADMIN_EXEMPT_FEN", cls.admin_exempt_fen)))


@dataclass(frozen=True)
class YearGauge:
    year: int
    income: int
    #: The base: the previous year's income, or the three-year average if that passes.
    base: int | None
    base_is_average: bool
    charitable: int
    admin: int
    expenses: int
    spending: str
    management: str

    @property
    def spending_bps(self) -> int | None:
        return self.charitable * 10000 // self.base if self.base else None

    @property
    def admin_bps(self) -> int | None:
        return self.admin * 10000 // self.expenses if self.expenses else None


def _yearly(session: Session, currency: str) -> dict[int, dict[str, int]]:
    """``{year: {"income", "charitable", "admin", "expenses"}}`` from the postings."""
    year = sa.extract("year", JournalEntry.entry_date)
    query = (sa.select(year, Account.type, Account.code, sa.func.sum(Posting.amount))
             .join(Posting, Posting.entry_id == JournalEntry.id)
             .join(Account, Account.id == Posting.account_id)
             .where(Posting.currency == currency, Account.type.in_(("revenue", "expense")))
             .group_by(year, Account.type, Account.code))
    out: dict[int, dict[str, int]] = {}
    for y, type_, code, amount in session.execute(query):
        sums = out.setdefault(int(y), dict.fromkeys(("income", "charitable", "admin",
                                                      "expenses"), 0))
        amount = int(amount or 0)
        if type_ == "revenue":
            sums["income"] -= amount
            continue
        sums["expenses"] += amount
        if code.startswith(chart.PROGRAM_EXPENSE):
            sums["charitable"] += amount
        elif code.startswith(chart.ADMIN_EXPENSE):
            sums["admin"] += amount
    return out


def _spending(charitable: int, bases: list[int], t: Thresholds) -> tuple[str, int | None, bool]:
    """The verdict, the base used and whether it is the three-year average."""
    usable = [(b, i > 0) for i, b in enumerate(bases) if b > 0]
    if not usable:
        return NOT_APPLICABLE, None, False
    for base, average in usable:
        if charitable * 10000 >= base * t.min_spending_bps:
            return PASS, base, average
    return FAIL, usable[0][0], usable[0][1]


def _management(admin: int, expenses: int, t: Thresholds) -> str:
    if admin < t.admin_exempt_fen:
        return EXEMPT
    return PASS if admin * 10000 <= expenses * t.max_admin_bps else FAIL


def charity_gauge(session: Session, this_year: int, t: Thresholds,
                  currency: str = "CNY") -> list[YearGauge]:
    """One :class:`YearGauge` per year from the first posting to ``this_year``."""
    sums = _yearly(session, currency)
    if not sums:
        return []
    zero = dict.fromkeys(("income", "charitable", "admin", "expenses"), 0)
    years = []
    for year in range(min(sums), max(max(sums), this_year) + 1):
        s, incomes = sums.get(year, zero), [sums.get(year - k, zero)["income"] for k in (1, 2, 3)]
        # Article 10's average needs three whole years of books; rounded up, to be strict.
        average = -(-sum(incomes) // 3) if year - 3 >= min(sums) else 0
        verdict, base, is_average = _spending(s["charitable"], [incomes[0], average], t)
        years.append(YearGauge(year, s["income"], base, is_average, s["charitable"], s["admin"],
                               s["expenses"], verdict, _management(s["admin"], s["expenses"], t)))
    return years


def percent(bps: int | None) -> str:
    """Basis points as a percentage with two decimals (``7235`` → ``72.35%``)."""
    return "—" if bps is None else f"{Decimal(bps).scaleb(-2):.2f}%"


def verdict_label(verdict: str, kind: str = "spending") -> str:
    """The verdict in words: spending must reach its floor, management stay under its cap."""
    if kind == "management" and verdict in (PASS, FAIL):
        return _("Within the limit") if verdict == PASS else _("Above the limit")
    return {PASS: _("Meets the threshold"), FAIL: _("Below the threshold"),
            EXEMPT: _("Exempt (management costs under the floor)"),
            NOT_APPLICABLE: _("No income the year before")}[verdict]


def gauge_table(years: list[YearGauge], t: Thresholds, currency: str = "CNY") -> Table:
    table = Table("charity-law-gauge", _("Charity-law gauge"),
                  _("Charitable spending at least %(spend)s of the previous year's income; "
                    "management costs at most %(admin)s of the year's expenditure",
                    spend=percent(t.min_spending_bps), admin=percent(t.max_admin_bps)),
                  [Column(_("Year")), Column(_("Income"), money=True),
                   Column(_("Base"), money=True), Column(_("Charitable spending"), money=True),
                   Column(_("Share of the base")), Column(_("Verdict")),
                   Column(_("Management costs"), money=True),
                   Column(_("Total expenditure"), money=True), Column(_("Share of expenditure")),
                   Column(_("Verdict"))], currency=currency)
    for y in years:
        table.add(str(y.year), str(y.year), y.income, y.base, y.charitable,
                  percent(y.spending_bps), verdict_label(y.spending), y.admin, y.expenses,
                  percent(y.admin_bps), verdict_label(y.management, "management"))
    return table
