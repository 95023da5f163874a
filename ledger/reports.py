"""Reports for finance officers and auditors (Flask-free; callers format the amounts).

- :func:`trial_balance`: every account's debit or credit balance, and the totals (equal).
- :func:`general_ledger`: one account's postings over a date range with a running balance.
- :func:`fund_statement`: what a fund held at the start, what came in and went out, by
  account, and what it holds at the end.
"""
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.funds import account_ref, fund_ref
from ledger.models import HOLDING_TYPES, Account, Balance, Fund, JournalEntry, Posting


@dataclass(frozen=True)
class AccountRow:
    code: str
    name_zh: str
    name_en: str
    type: str
    debit: int
    credit: int

    @property
    def balance(self) -> int:
        """Debit positive."""
        return self.debit - self.credit


@dataclass(frozen=True)
class TrialBalance:
    currency: str
    as_of: date | None
    rows: list[AccountRow]
    total_debit: int
    total_credit: int

    def balances(self) -> dict[str, int]:
        """``{code: debit-positive balance}``: handy in tests and comparisons."""
        return {r.code: r.balance for r in self.rows}


@dataclass(frozen=True)
class LedgerLine:
    entry_id: int
    date: date
    memo: str
    fund: str
    debit: int
    credit: int
    #: Debit-positive balance after this line.
    balance: int


@dataclass(frozen=True)
class GeneralLedger:
    account: str
    fund: str | None
    currency: str
    opening: int
    lines: list[LedgerLine] = field(default_factory=list)

    @property
    def closing(self) -> int:
        return self.lines[-1].balance if self.lines else self.opening


@dataclass(frozen=True)
class FundStatement:
    fund: str
    currency: str
    start: date
    end: date
    #: What the fund held (assets minus liabilities) before ``start`` and after ``end``.
    opening: int
    closing: int
    #: Credits and debits to its income, expense and net-asset accounts in the period.
    inflow: int
    outflow: int
    by_account: list[AccountRow]
    #: Closing balances of its asset and liability accounts.
    holdings: list[AccountRow]


def _row(account: Account, balance: int, debit: int | None = None, credit: int | None = None):
    if debit is None:
        debit, credit = max(balance, 0), max(-balance, 0)
    return AccountRow(account.code, account.name_zh, account.name_en, account.type, debit, credit)


def trial_balance(session: Session, as_of: date | None = None, currency: str = "CNY",
                  fund_code: str | None = None) -> TrialBalance:
    """Per account (all funds, or one), the balance on the debit or the credit side."""
    if as_of is None:
        query = (sa.select(Balance.account_id, sa.func.sum(Balance.amount))
                 .where(Balance.currency == currency).group_by(Balance.account_id))
        if fund_code:
            query = query.where(Balance.fund_id == fund_ref(session, fund_code).id)
    else:
        # IN (subquery), not a join: SQLite then builds the set of entry ids once and scans
        # the postings, instead of looking up each posting's entry (10x faster at 1M rows).
        dated = sa.select(JournalEntry.id).where(JournalEntry.entry_date <= as_of)
        query = (sa.select(Posting.account_id, sa.func.sum(Posting.amount))
                 .where(Posting.currency == currency, Posting.entry_id.in_(dated))
                 .group_by(Posting.account_id))
        if fund_code:
            query = query.where(Posting.fund_id == fund_ref(session, fund_code).id)
    sums = {account_id: int(total or 0) for account_id, total in session.execute(query)}
    accounts = session.scalars(sa.select(Account).where(Account.id.in_(list(sums)))
                               .order_by(Account.code))
    rows = [_row(a, sums[a.id]) for a in accounts if sums[a.id]]
    return TrialBalance(currency, as_of, rows, sum(r.debit for r in rows),
                        sum(r.credit for r in rows))


def general_ledger(session: Session, account_code: str, fund_code: str | None = None,
                   start: date | None = None, end: date | None = None,
                   currency: str = "CNY") -> GeneralLedger:
    """The postings to one account between ``start`` and ``end`` (inclusive), in order."""
    account = account_ref(session, account_code)
    where = [Posting.account_id == account.id, Posting.currency == currency]
    if fund_code:
        where.append(Posting.fund_id == fund_ref(session, fund_code).id)
    opening = 0
    if start:
        opening = int(session.scalar(
            sa.select(sa.func.sum(Posting.amount)).join(JournalEntry)
            .where(*where, JournalEntry.entry_date < start)) or 0)
        where.append(JournalEntry.entry_date >= start)
    if end:
        where.append(JournalEntry.entry_date <= end)
    rows = session.execute(
        sa.select(JournalEntry.id, JournalEntry.entry_date, JournalEntry.memo, Fund.code,
                  Posting.amount)
        .join(Posting, Posting.entry_id == JournalEntry.id).join(Fund, Fund.id == Posting.fund_id)
        .where(*where).order_by(JournalEntry.entry_date, JournalEntry.id, Posting.id))
    ledger, running = GeneralLedger(account_code, fund_code, currency, opening), opening
    for entry_id, entry_date, memo, fund, amount in rows:
        running += amount
        ledger.lines.append(LedgerLine(entry_id, entry_date, memo, fund, max(amount, 0),
                                       max(-amount, 0), running))
    return ledger


def fund_statement(session: Session, fund_code: str, start: date, end: date,
                   currency: str = "CNY") -> FundStatement:
    """Opening, in, out and closing for one fund over ``start``..``end`` (inclusive)."""
    fund = fund_ref(session, fund_code)
    debit = sa.func.sum(sa.case((Posting.amount > 0, Posting.amount), else_=0))
    credit = sa.func.sum(sa.case((Posting.amount < 0, -Posting.amount), else_=0))
    base = (sa.select(Account, debit, credit).join(Posting, Posting.account_id == Account.id)
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(Posting.fund_id == fund.id, Posting.currency == currency)
            .group_by(Account.id).order_by(Account.code))
    before = session.execute(base.where(JournalEntry.entry_date < start)).all()
    during = session.execute(base.where(JournalEntry.entry_date.between(start, end))).all()
    until = session.execute(base.where(JournalEntry.entry_date <= end)).all()
    opening = sum(int(d) - int(c) for a, d, c in before if a.type in HOLDING_TYPES)
    by_account = [_row(a, 0, int(d), int(c)) for a, d, c in during if a.type not in HOLDING_TYPES]
    holdings = [_row(a, int(d) - int(c)) for a, d, c in until
                if a.type in HOLDING_TYPES and int(d) != int(c)]
    inflow, outflow = sum(r.credit for r in by_account), sum(r.debit for r in by_account)
    return FundStatement(fund_code, currency, start, end, opening, opening + inflow - outflow,
                         inflow, outflow, by_account, holdings)
