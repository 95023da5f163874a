"""Statutory statements from the postings (Flask-free; callers format the amounts).

- :func:`financial_position`: 资产负债表 as at a date — assets, liabilities and net assets
  split into unrestricted (非限定性) and restricted (限定性) by each fund's restriction.
- :func:`activities`: 业务活动表 for a date range, with 非限定性 / 限定性 / 合计 columns.
- :func:`fund_balances`: per fund, opening, in, out and closing holdings for a date range.

Why the split comes from the funds: the ledger leaves income and expenses in the fund that
received or spent them (there is no closing entry into 3101/3102), so a fund's restriction
decides the column. The presentation follows 民间非营利组织会计制度: every expense is shown
as unrestricted, and what restricted funds spent appears as net assets released from
restriction (限定性净资产转为非限定性净资产): −R in the restricted column, +R in the
unrestricted one. Postings made directly to net-asset accounts (3xxx, e.g. opening balances)
are not income; :class:`Activities` carries them separately so that opening + change +
direct = closing, the same figures as the statement of financial position.
"""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.models import HOLDING_TYPES, Account, Fund, JournalEntry, Posting


@dataclass(frozen=True)
class Split:
    """An amount per restriction column; ``total`` is their sum (合计)."""

    unrestricted: int = 0
    restricted: int = 0

    @property
    def total(self) -> int:
        return self.unrestricted + self.restricted

    def __add__(self, other: "Split") -> "Split":
        return Split(self.unrestricted + other.unrestricted, self.restricted + other.restricted)

    def __sub__(self, other: "Split") -> "Split":
        return Split(self.unrestricted - other.unrestricted, self.restricted - other.restricted)


@dataclass(frozen=True)
class AccountLine:
    """One account on a statement; ``amount`` is positive on the account's normal side."""

    code: str
    name_zh: str
    name_en: str
    amount: Split

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh


@dataclass(frozen=True)
class FinancialPosition:
    as_of: date
    currency: str
    assets: list[AccountLine]
    liabilities: list[AccountLine]
    #: What the funds hold (assets less liabilities), by the funds' restriction.
    net_assets: Split

    @property
    def total_assets(self) -> int:
        return sum(line.amount.total for line in self.assets)

    @property
    def total_liabilities(self) -> int:
        return sum(line.amount.total for line in self.liabilities)

    @property
    def total_liabilities_and_net_assets(self) -> int:
        return self.total_liabilities + self.net_assets.total

    @property
    def balanced(self) -> bool:
        return self.total_assets == self.total_liabilities_and_net_assets


@dataclass(frozen=True)
class Activities:
    start: date
    end: date
    currency: str
    #: Revenue accounts (credit positive), by the receiving fund's restriction.
    income: list[AccountLine]
    #: Expense accounts (debit positive), all in the unrestricted column (see the module doc).
    expenses: list[AccountLine]
    #: What restricted funds spent in the range: released from restriction.
    released: int
    #: Postings straight to net-asset accounts (credit positive): not income, but they move
    #: net assets between the opening and the closing figure.
    direct: Split
    opening: Split
    closing: Split

    @property
    def total_income(self) -> Split:
        return sum((line.amount for line in self.income), Split())

    @property
    def total_expenses(self) -> Split:
        return sum((line.amount for line in self.expenses), Split())

    @property
    def release(self) -> Split:
        return Split(self.released, -self.released)

    @property
    def change(self) -> Split:
        """净资产变动额: income, less expenses, plus the release (which nets to zero)."""
        return self.total_income - self.total_expenses + self.release


@dataclass(frozen=True)
class FundRow:
    code: str
    name_zh: str
    name_en: str
    restriction: str
    opening: int
    #: Credits and debits to the fund's income, expense and net-asset accounts in the range.
    inflow: int
    outflow: int

    @property
    def closing(self) -> int:
        return self.opening + self.inflow - self.outflow

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_zh


@dataclass(frozen=True)
class FundBalances:
    start: date
    end: date
    currency: str
    rows: list[FundRow]

    def total(self, attribute: str) -> int:
        return sum(getattr(row, attribute) for row in self.rows)


_RESTRICTED = Fund.restriction == "restricted"


def _per_account(session: Session, currency: str, *where) -> list[tuple[Account, Split]]:
    """Debit-positive sums per account, split by fund restriction, for postings ``where``."""
    restricted = sa.func.sum(sa.case((_RESTRICTED, Posting.amount), else_=0))
    total = sa.func.sum(Posting.amount)
    query = (sa.select(Account, total, restricted)
             .join(Posting, Posting.account_id == Account.id)
             .join(Fund, Fund.id == Posting.fund_id)
             .where(Posting.currency == currency,
                    Posting.entry_id.in_(sa.select(JournalEntry.id).where(*where)))
             .group_by(Account.id).order_by(Account.code))
    return [(account, Split(int(t or 0) - int(r or 0), int(r or 0)))
            for account, t, r in session.execute(query)]


def _line(account: Account, amount: Split, sign: int = 1) -> AccountLine:
    return AccountLine(account.code, account.name_zh, account.name_en,
                       Split(sign * amount.unrestricted, sign * amount.restricted))


def _holdings(sums) -> Split:
    return sum((amount for account, amount in sums if account.type in HOLDING_TYPES), Split())


def financial_position(session: Session, as_of: date, currency: str = "CNY") -> FinancialPosition:
    """资产负债表 at the end of ``as_of``: accounts with a non-zero balance, and net assets."""
    sums = _per_account(session, currency, JournalEntry.entry_date <= as_of)
    assets = [_line(a, s) for a, s in sums if a.type == "asset" and s.total]
    liabilities = [_line(a, s, -1) for a, s in sums if a.type == "liability" and s.total]
    return FinancialPosition(as_of, currency, assets, liabilities, _holdings(sums))


def activities(session: Session, start: date, end: date, currency: str = "CNY") -> Activities:
    """业务活动表 for ``start``..``end`` (inclusive)."""
    during = _per_account(session, currency, JournalEntry.entry_date.between(start, end))
    income = [_line(a, s, -1) for a, s in during if a.type == "revenue" and s.total]
    spent = [(a, s) for a, s in during if a.type == "expense" and s.total]
    expenses = [_line(a, Split(s.total, 0)) for a, s in spent]
    direct = sum((Split(-s.unrestricted, -s.restricted)
                  for a, s in during if a.type == "net_assets"), Split())
    opening = _holdings(_per_account(session, currency, JournalEntry.entry_date < start))
    closing = _holdings(_per_account(session, currency, JournalEntry.entry_date <= end))
    return Activities(start, end, currency, income, expenses, sum(s.restricted for _a, s in spent),
                      direct, opening, closing)


def fund_balances(session: Session, start: date, end: date,
                  currency: str = "CNY") -> FundBalances:
    """Every fund with a balance or activity: opening, in, out, closing over the range."""
    holding = Account.type.in_(HOLDING_TYPES)
    during = JournalEntry.entry_date >= start

    def total(condition, value):
        return sa.func.sum(sa.case((condition, value), else_=0))

    query = (sa.select(Fund, total(sa.and_(holding, ~during), Posting.amount),
                       total(sa.and_(~holding, during, Posting.amount < 0), -Posting.amount),
                       total(sa.and_(~holding, during, Posting.amount > 0), Posting.amount))
             .join(Posting, Posting.fund_id == Fund.id)
             .join(Account, Account.id == Posting.account_id)
             .join(JournalEntry, JournalEntry.id == Posting.entry_id)
             .where(Posting.currency == currency, JournalEntry.entry_date <= end)
             .group_by(Fund.id).order_by(Fund.code))
    rows = [FundRow(f.code, f.name_zh, f.name_en, f.restriction, int(o or 0), int(i or 0),
                    int(x or 0)) for f, o, i, x in session.execute(query)]
    return FundBalances(start, end, currency, [r for r in rows
                                               if r.opening or r.inflow or r.outflow])
