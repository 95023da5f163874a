"""Recheck the whole ledger from its postings: the hash chain and every invariant.

:func:`verify_ledger` streams entries in id order (constant memory per entry) and returns a
list of problems in plain English; an empty list means the books are clean. It is what
``flask --app wsgi ledger verify`` runs, and what an auditor would run on a restored backup.
"""
from collections import defaultdict
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.chain import GENESIS, entry_hash
from ledger.chart import INTERFUND
from ledger.models import (HOLDING_TYPES, Account, Balance, ChainHead, Fund, JournalEntry, Period,
                           Posting)
from ledger.money import format_plain

_BATCH = 5000


class _State:
    """What the walk has learned so far."""

    def __init__(self, session):
        self.accounts = {i: (c, t) for i, c, t in session.execute(
            sa.select(Account.id, Account.code, Account.type))}
        self.funds = {i: (c, r == "restricted") for i, c, r in session.execute(
            sa.select(Fund.id, Fund.code, Fund.restriction))}
        #: Closed months and when they were (last) closed.
        self.closed = dict(session.execute(sa.select(Period.month, Period.closed_at)
                                           .where(Period.status == "closed")).all())
        self.sums = defaultdict(int)
        self.problems: list[str] = []
        self.last_id, self.last_hash = 0, GENESIS


def verify_ledger(session: Session) -> list[str]:
    """Every problem found; ``[]`` when the chain and all invariants hold."""
    state = _State(session)
    rows = session.execute(
        sa.select(JournalEntry.id, JournalEntry.entry_date, JournalEntry.memo,
                  JournalEntry.idempotency_key, JournalEntry.source, JournalEntry.reverses_id,
                  JournalEntry.hash, JournalEntry.created_at, Posting.account_id, Posting.fund_id, Posting.currency,
                  Posting.amount)
        .outerjoin(Posting, Posting.entry_id == JournalEntry.id)
        .order_by(JournalEntry.id, Posting.id).execution_options(yield_per=_BATCH))
    for _entry_id, group in groupby(rows, key=lambda r: r.id):
        _check_entry(state, list(group))
    _check_head(session, state)
    _check_balances(session, state)
    _check_restricted(state)
    return state.problems


def _check_entry(state: _State, rows) -> None:
    first = rows[0]
    if first.id != state.last_id + 1:
        state.problems.append(f"Entries {state.last_id + 1} to {first.id - 1} are missing.")
    lines = [(state.accounts[r.account_id][0], state.funds[r.fund_id][0], r.currency, r.amount)
             for r in rows if r.account_id is not None]
    expected = entry_hash(state.last_hash, entry_id=first.id, entry_date=first.entry_date,
                          memo=first.memo, key=first.idempotency_key, source=first.source,
                          reverses_id=first.reverses_id, lines=lines)
    if expected != first.hash:
        state.problems.append(f"Entry {first.id}: its hash does not match its content or its "
                              f"place in the chain (changed behind the ledger's back?).")
    state.last_id, state.last_hash = first.id, first.hash
    if not lines:
        state.problems.append(f"Entry {first.id} has no postings.")
    closed_at = state.closed.get(first.entry_date.strftime("%Y-%m"))
    # An entry dated in a closed month is fine if it was written before the month closed.
    if closed_at is not None and first.created_at > closed_at:
        state.problems.append(f"Entry {first.id} was written into the closed period "
                              f"{first.entry_date:%Y-%m} after it closed.")
    _check_lines(state, first.id, rows, lines)


def _check_lines(state: _State, entry_id: int, rows, lines) -> None:
    per_fund, interfund = defaultdict(int), defaultdict(int)
    for row, (account, fund, currency, amount) in zip([r for r in rows if r.account_id], lines):
        per_fund[(fund, currency)] += amount
        if account == INTERFUND:
            interfund[currency] += amount
        state.sums[(row.account_id, row.fund_id, currency)] += amount
    for (fund, currency), total in sorted(per_fund.items()):
        if total:
            state.problems.append(f"Entry {entry_id} does not balance within fund {fund}: off "
                                  f"by {format_plain(total, currency)} {currency}.")
    for currency, total in sorted(interfund.items()):
        if total:
            state.problems.append(f"Entry {entry_id}: interfund lines are off by "
                                  f"{format_plain(total, currency)} {currency}.")


def _check_head(session, state: _State) -> None:
    head = session.execute(sa.select(ChainHead.last_entry_id, ChainHead.last_hash)).first()
    head_id, head_hash = (head.last_entry_id, head.last_hash) if head else (0, GENESIS)
    if (head_id, head_hash) != (state.last_id, state.last_hash):
        state.problems.append(f"The chain head says the last entry is {head_id}, but the last "
                              f"entry found is {state.last_id} (entries removed or added?).")


def _check_balances(session, state: _State) -> None:
    stored = {(a, f, c): int(m) for a, f, c, m in session.execute(
        sa.select(Balance.account_id, Balance.fund_id, Balance.currency, Balance.amount))}
    for key in sorted(set(stored) | set(state.sums)):
        have, want = stored.get(key, 0), state.sums.get(key, 0)
        if have != want:
            account, fund = state.accounts[key[0]][0], state.funds[key[1]][0]
            state.problems.append(
                f"The stored balance of {account} in fund {fund} is {format_plain(have, key[2])} "
                f"{key[2]} but its postings sum to {format_plain(want, key[2])}.")


def _check_restricted(state: _State) -> None:
    held = defaultdict(int)
    for (account_id, fund_id, currency), amount in state.sums.items():
        if state.funds[fund_id][1] and state.accounts[account_id][1] in HOLDING_TYPES:
            held[(state.funds[fund_id][0], currency)] += amount
    for (fund, currency), total in sorted(held.items()):
        if total < 0:
            state.problems.append(f"The restricted fund {fund} holds "
                                  f"{format_plain(total, currency)} {currency}, below zero.")
