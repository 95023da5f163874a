"""How much is where: balances per account and fund, and what a fund holds.

"Now" reads the balances table (one indexed read); ``as_of`` sums postings up to a date.
All amounts are debit-positive minor units.
"""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.funds import account_ref, fund_ref
from ledger.models import HOLDING_TYPES, Account, Balance, JournalEntry, Posting


def account_balance(session: Session, account_code: str, fund_code: str | None = None,
                    currency: str = "CNY", as_of: date | None = None) -> int:
    """The balance of one account (in one fund, or across all), debit positive."""
    account = account_ref(session, account_code)
    if as_of is None:
        query = sa.select(sa.func.sum(Balance.amount)).where(
            Balance.account_id == account.id, Balance.currency == currency)
        if fund_code is not None:
            query = query.where(Balance.fund_id == fund_ref(session, fund_code).id)
    else:
        query = (sa.select(sa.func.sum(Posting.amount))
                 .join(JournalEntry, JournalEntry.id == Posting.entry_id)
                 .where(Posting.account_id == account.id, Posting.currency == currency,
                        JournalEntry.entry_date <= as_of))
        if fund_code is not None:
            query = query.where(Posting.fund_id == fund_ref(session, fund_code).id)
    return int(session.scalar(query) or 0)


def fund_net_assets(session: Session, fund_code: str, currency: str = "CNY") -> int:
    """What the fund holds: its assets minus its liabilities (never < 0 if restricted)."""
    fund = fund_ref(session, fund_code)
    total = session.scalar(
        sa.select(sa.func.sum(Balance.amount))
        .join(Account, Account.id == Balance.account_id)
        .where(Balance.fund_id == fund.id, Balance.currency == currency,
               Account.type.in_(HOLDING_TYPES)))
    return int(total or 0)


def fund_balances(session: Session, fund_code: str, currency: str = "CNY") -> dict[str, int]:
    """``{account_code: balance}`` for every account the fund has touched (zeros dropped)."""
    fund = fund_ref(session, fund_code)
    rows = session.execute(
        sa.select(Account.code, Balance.amount)
        .join(Account, Account.id == Balance.account_id)
        .where(Balance.fund_id == fund.id, Balance.currency == currency, Balance.amount != 0)
        .order_by(Account.code))
    return {code: int(amount) for code, amount in rows}
