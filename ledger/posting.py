"""Posting: the only way money enters the books.

``post_entries`` checks a batch of drafts, then, holding the chain head's row lock,
re-checks what depends on other transactions (idempotency keys, closed periods, reversals,
restricted funds), updates the balances and appends the entries. It flushes and never
commits: the caller's transaction decides.

Why one lock for the whole ledger: the hash chain needs each entry's predecessor, and a
restricted fund's check must see every earlier spend. Taking the head first, before any
balance row, gives every posting transaction the same lock order, so they queue instead of
deadlocking, and a same-key retry waiting behind the first sees its committed entry.
Balance rows are then read ``FOR UPDATE`` in (account, fund, currency) order.
"""
from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.chain import HEAD_ID, create_chain_head, entry_hash
from ledger.checks import EntryDraft, Line, draft_problems, raise_first
from ledger.errors import (AlreadyReversed, ClosedPeriod, IdempotencyConflict, InsufficientFunds,
                           InvalidEntry)
from ledger.funds import account_ref, ensure_fund, fund_ref
from ledger.models import (HOLDING_TYPES, Account, Balance, ChainHead, Fund, JournalEntry, Period,
                           Posting)

__all__ = ["Line", "EntryDraft", "post_entry", "post_entries", "reverse_entry", "ensure_fund"]

def post_entry(session: Session, draft: EntryDraft) -> JournalEntry:
    """Post one entry (see :func:`post_entries`)."""
    return post_entries(session, [draft])[0]


def post_entries(session: Session, drafts) -> list[JournalEntry]:
    """Post a batch all-or-nothing; returns one entry per draft, in order.

    A draft whose key was used before with the same content (date, reversal link, lines)
    gets the earlier entry back and writes nothing; other content raises IdempotencyConflict.
    """
    drafts = list(drafts)
    for draft in drafts:
        raise_first(draft_problems(draft))
    resolved = [_resolve_lines(session, d) for d in drafts]
    head_id, head_hash = _lock_head(session)
    results, fresh = _match_keys(session, drafts, resolved)
    if not fresh:
        return results
    _check_periods(session, {drafts[i].date.strftime("%Y-%m") for i in fresh})
    _check_reversals(session, [drafts[i] for i in fresh])
    _apply_balances(session, [resolved[i] for i in fresh])
    for i in fresh:
        head_id, head_hash = head_id + 1, _hash(head_hash, head_id + 1, drafts[i])
        results[i] = _new_entry(session, head_id, head_hash, drafts[i], resolved[i])
    for i, draft in enumerate(drafts):
        if results[i] is None:  # a repeat of a key first used earlier in this batch
            results[i] = next(results[j] for j in fresh if drafts[j].idempotency_key
                              == draft.idempotency_key)
    session.flush()
    session.execute(sa.update(ChainHead).where(ChainHead.id == HEAD_ID)
                    .values(last_entry_id=head_id, last_hash=head_hash))
    return results


def reverse_entry(session: Session, entry_id: int, *, date: date, memo: str,
                  idempotency_key: str, posted_by: str = "") -> JournalEntry:
    """Post the mirror image of entry ``entry_id``, linked to it; AlreadyReversed the 2nd time."""
    original = session.get(JournalEntry, entry_id)
    if original is None:
        raise InvalidEntry(f"There is no entry {entry_id} to reverse.")
    lines = tuple(Line(p.account.code, p.fund.code, -p.amount, p.currency)
                  for p in original.postings)
    return post_entry(session, EntryDraft(
        date=date, memo=memo, lines=lines, idempotency_key=idempotency_key,
        source="reversal", posted_by=posted_by, reverses_id=entry_id,
    ))


def _resolve_lines(session, draft: EntryDraft) -> list[tuple]:
    """``(account_id, account_type, fund_id, restricted, currency, amount)`` per line."""
    out = []
    for line in draft.lines:
        account, fund = account_ref(session, line.account), fund_ref(session, line.fund)
        if not account.active:
            raise InvalidEntry(f"The account {account.code} is closed to new postings.")
        out.append((account.id, account.type, fund.id, fund.restricted, line.currency, line.amount))
    return out


def _lock_head(session) -> tuple[int, str]:
    """Take the ledger-wide lock and read the chain head (creating the row if missing)."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no FOR UPDATE; any write takes its one writer lock before we read.
        session.execute(sa.update(ChainHead).where(ChainHead.id == HEAD_ID)
                        .values(last_entry_id=ChainHead.last_entry_id))
    query = (sa.select(ChainHead.last_entry_id, ChainHead.last_hash)
             .where(ChainHead.id == HEAD_ID).with_for_update())
    row = session.execute(query).first()
    if row is None:
        create_chain_head(session)
        row = session.execute(query).first()
    return row.last_entry_id, row.last_hash


def lock_ledger(session) -> None:
    """Serialise with every posting (period closing uses this)."""
    _lock_head(session)


def _fingerprint_draft(draft: EntryDraft) -> tuple:
    lines = sorted((ln.account, ln.fund, ln.currency, ln.amount) for ln in draft.lines)
    return draft.date, draft.reverses_id, tuple(lines)


def _fingerprint_entry(entry: JournalEntry) -> tuple:
    lines = sorted((p.account.code, p.fund.code, p.currency, p.amount) for p in entry.postings)
    return entry.entry_date, entry.reverses_id, tuple(lines)


def _match_keys(session, drafts, resolved) -> tuple[list, list[int]]:
    """Earlier entries for known keys, and the indexes of the drafts that are new."""
    keys = {d.idempotency_key for d in drafts}
    known = {e.idempotency_key: e for e in session.scalars(
        sa.select(JournalEntry).where(JournalEntry.idempotency_key.in_(keys)))}
    results, fresh, seen = [None] * len(drafts), [], {}
    for i, draft in enumerate(drafts):
        key, print_ = draft.idempotency_key, _fingerprint_draft(draft)
        if key in known:
            entry = known[key]
            if _fingerprint_entry(entry) != print_:
                raise IdempotencyConflict(key, entry.id)
            results[i] = entry
        elif key in seen:
            if seen[key] != print_:
                raise IdempotencyConflict(key, 0)
        else:
            seen[key] = print_
            fresh.append(i)
    return results, fresh


def _check_periods(session, months: set[str]) -> None:
    closed = session.scalars(sa.select(Period.month).where(
        Period.month.in_(months), Period.status == "closed").order_by(Period.month)).first()
    if closed:
        raise ClosedPeriod(closed)


def _check_reversals(session, drafts) -> None:
    targets = [d.reverses_id for d in drafts if d.reverses_id is not None]
    if not targets:
        return
    if len(set(targets)) != len(targets):
        raise InvalidEntry("The same entry cannot be reversed twice in one batch.")
    found = set(session.scalars(sa.select(JournalEntry.id).where(JournalEntry.id.in_(targets))))
    for target in targets:
        if target not in found:
            raise InvalidEntry(f"There is no entry {target} to reverse.")
    done = session.execute(sa.select(JournalEntry.reverses_id, JournalEntry.id)
                           .where(JournalEntry.reverses_id.in_(targets))).first()
    if done:
        raise AlreadyReversed(done[0], done[1])


def _apply_balances(session, batch: list[list[tuple]]) -> None:
    """Refuse if a restricted fund would go below zero; then move the balances."""
    _check_restricted(session, batch)
    deltas = defaultdict(int)
    for lines in batch:
        for account_id, _type, fund_id, _restricted, currency, amount in lines:
            deltas[(account_id, fund_id, currency)] += amount
    keys = sorted(deltas)
    key_cols = sa.tuple_(Balance.account_id, Balance.fund_id, Balance.currency)
    existing = {tuple(r) for r in session.execute(
        sa.select(Balance.account_id, Balance.fund_id, Balance.currency)
        .where(key_cols.in_(keys))
        .order_by(Balance.account_id, Balance.fund_id, Balance.currency).with_for_update())}
    new = [{"account_id": a, "fund_id": f, "currency": c, "amount": deltas[(a, f, c)]}
           for a, f, c in keys if (a, f, c) not in existing]
    if new:
        session.execute(sa.insert(Balance), new)
    changed = [{"a": a, "f": f, "c": c, "d": deltas[(a, f, c)]} for a, f, c in keys
               if (a, f, c) in existing and deltas[(a, f, c)]]
    if changed:
        table = Balance.__table__
        session.connection().execute(
            table.update().where(table.c.account_id == sa.bindparam("a"),
                                 table.c.fund_id == sa.bindparam("f"),
                                 table.c.currency == sa.bindparam("c"))
            .values(amount=table.c.amount + sa.bindparam("d")), changed)


def _holding_deltas(lines) -> dict:
    """Per restricted (fund_id, currency): the change in what the fund holds."""
    out = defaultdict(int)
    for _account_id, type_, fund_id, restricted, currency, amount in lines:
        if restricted and type_ in HOLDING_TYPES:
            out[(fund_id, currency)] += amount
    return out


def _check_restricted(session, batch) -> None:
    per_draft = [_holding_deltas(lines) for lines in batch]
    spent = {k for deltas in per_draft for k, v in deltas.items() if v < 0}
    if not spent:
        return
    held = defaultdict(int, fund_holdings(session, {f for f, _c in spent}))
    for deltas in per_draft:
        for key, delta in deltas.items():
            held[key] += delta
            if delta < 0 and held[key] < 0:
                raise InsufficientFunds(_fund_code(session, key[0]), -held[key], key[1])


def fund_holdings(session, fund_ids) -> dict[tuple[int, str], int]:
    """``{(fund_id, currency): assets + liabilities}`` (debit positive) from the balances."""
    rows = session.execute(
        sa.select(Balance.fund_id, Balance.currency, sa.func.sum(Balance.amount))
        .join(Account, Account.id == Balance.account_id)
        .where(Balance.fund_id.in_(list(fund_ids)), Account.type.in_(HOLDING_TYPES))
        .group_by(Balance.fund_id, Balance.currency))
    return {(f, c): int(total or 0) for f, c, total in rows}


def _fund_code(session, fund_id: int) -> str:
    return session.scalar(sa.select(Fund.code).where(Fund.id == fund_id))


def _hash(prev_hash: str, entry_id: int, draft: EntryDraft) -> str:
    return entry_hash(prev_hash, entry_id=entry_id, entry_date=draft.date, memo=draft.memo,
                      key=draft.idempotency_key, source=draft.source,
                      reverses_id=draft.reverses_id,
                      lines=[(ln.account, ln.fund, ln.currency, ln.amount) for ln in draft.lines])


def _new_entry(session, entry_id, hash_, draft: EntryDraft, lines) -> JournalEntry:
    entry = JournalEntry(
        id=entry_id, entry_date=draft.date, memo=draft.memo, source=draft.source,
        posted_by=draft.posted_by, idempotency_key=draft.idempotency_key,
        reverses_id=draft.reverses_id, hash=hash_,
        postings=[Posting(account_id=a, fund_id=f, currency=c, amount=m)
                  for a, _t, f, _r, c, m in lines],
    )
    session.add(entry)
    return entry
