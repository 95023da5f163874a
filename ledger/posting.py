"""Posting: the only way money enters the books.

``post_entries`` checks a batch of drafts, then, holding the chain head's row lock,
re-checks what depends on other transactions (idempotency keys, closed periods, reversals,
restricted funds), moves the balances and appends the entries. It flushes and never
commits: the caller's transaction decides.

Why one lock for the whole ledger: the hash chain needs each entry's predecessor, and a
restricted fund's check must see every earlier spend. Taking the head first, before any
balance row, gives every posting transaction the same lock order, so they queue instead of
deadlocking, and a same-key retry waiting behind the first sees its committed entry.
Balance rows are then upserted in (account, fund, currency) order.

Why Core and not the ORM here: this is the hot path (a payment webhook per gift, and bulk
imports of hundreds of thousands of lines). Entries, postings and balances are written with
one ``executemany`` each; the entry ids and hashes are computed in Python from the drafts
(the head lock makes the ids ours), so nothing is read back. The entries returned are
ordinary persistent ``JournalEntry`` objects whose postings load on first access.
"""
from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy import event
from sqlalchemy.orm import (Session, attributes, configure_mappers, make_transient_to_detached,
                            object_session)

from ledger.chain import HEAD_ID, create_chain_head, entry_hash
from ledger.checks import EntryDraft, Line, draft_problems, raise_first
from ledger.errors import (AlreadyReversed, ClosedPeriod, IdempotencyConflict, InsufficientFunds,
                           InvalidEntry)
from ledger.funds import account_ref, ensure_fund, fund_ref
from ledger.models import (HOLDING_TYPES, Account, Balance, ChainHead, Fund, JournalEntry, Period,
                           utcnow)

__all__ = ["Line", "EntryDraft", "post_entry", "post_entries", "reverse_entry", "ensure_fund"]

_HEAD, _BALANCES = ChainHead.__table__, Balance.__table__
_ENTRIES = JournalEntry.__table__
_READ_HEAD = (sa.select(_HEAD.c.last_entry_id, _HEAD.c.last_hash)
              .where(_HEAD.c.id == HEAD_ID).with_for_update())
#: SQLite has no FOR UPDATE: a write takes its one writer lock, and RETURNING reads in the
#: same round trip.
_TOUCH_HEAD = (_HEAD.update().where(_HEAD.c.id == HEAD_ID)
               .values(last_entry_id=_HEAD.c.last_entry_id)
               .returning(_HEAD.c.last_entry_id, _HEAD.c.last_hash))
_MOVE_HEAD = (_HEAD.update().where(_HEAD.c.id == HEAD_ID)
              .values(last_entry_id=sa.bindparam("i"), last_hash=sa.bindparam("h")))
_PERIODS = Period.__table__


def _taken_query(expanding: bool):
    """One round trip for both pre-checks: which keys are taken, and which months closed.

    A single draft (the webhook path) gets plain ``=`` comparisons: an expanding IN list is
    re-rendered into SQL on every execution, which cost more than the query itself.
    """
    def match(column, name):
        if expanding:
            return column.in_(sa.bindparam(name, expanding=True))
        return column == sa.bindparam(name)
    return sa.union_all(
        sa.select(sa.literal("key").label("kind"), _ENTRIES.c.idempotency_key.label("value"))
        .where(match(_ENTRIES.c.idempotency_key, "keys")),
        sa.select(sa.literal("month"), _PERIODS.c.month)
        .where(match(_PERIODS.c.month, "months"), _PERIODS.c.status == "closed"))


_TAKEN_MANY, _TAKEN_ONE = _taken_query(True), _taken_query(False)
_HOLDINGS = (sa.select(_BALANCES.c.fund_id, _BALANCES.c.currency, sa.func.sum(_BALANCES.c.amount))
             .join(Account.__table__, Account.__table__.c.id == _BALANCES.c.account_id)
             .where(_BALANCES.c.fund_id.in_(sa.bindparam("funds", expanding=True)),
                    Account.__table__.c.type.in_(HOLDING_TYPES))
             .group_by(_BALANCES.c.fund_id, _BALANCES.c.currency))
_INSERT_ENTRIES = _ENTRIES.insert()
#: Postings are most of the rows: they go straight to the driver (plain ints and strings, so
#: no type processing is skipped), formatted for its placeholder style.
_INSERT_POSTINGS = ("INSERT INTO postings (entry_id, account_id, fund_id, currency, amount) "
                    "VALUES ({0}, {0}, {0}, {0}, {0})")
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_ATTACHED = "ledger.attached"
_ENTRY_CLASS = attributes.manager_of_class(JournalEntry)


def _upsert_balances(dialect_name: str):
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(_BALANCES)
    return insert.on_conflict_do_update(
        index_elements=[_BALANCES.c.account_id, _BALANCES.c.fund_id, _BALANCES.c.currency],
        set_={"amount": _BALANCES.c.amount + insert.excluded.amount})


_UPSERT_BALANCES = {name: _upsert_balances(name) for name in ("sqlite", "postgresql")}


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
    session.flush()  # the caller's pending rows go first, as an ORM flush would order them
    head_id, head_hash = _lock_head(session)
    taken = _taken(session, drafts)
    results, fresh = _match_keys(session, drafts, taken["key"])
    if not fresh:
        return results
    _check_periods(taken["month"], {drafts[i].date.strftime("%Y-%m") for i in fresh})
    _check_reversals(session, [drafts[i] for i in fresh])
    _apply_balances(session, [resolved[i] for i in fresh])
    entries, postings = [], []
    for i in fresh:
        head_id, head_hash = head_id + 1, _hash(head_hash, head_id + 1, drafts[i])
        entries.append(_entry_row(head_id, head_hash, drafts[i]))
        postings += [(head_id, a, f, c, m) for a, _t, f, _r, c, m in resolved[i]]
    _write(session, entries, postings, head_id, head_hash)
    for i, entry in zip(fresh, _attach(session, entries)):
        results[i] = entry
    for i, draft in enumerate(drafts):
        if results[i] is None:  # a repeat of a key first used earlier in this batch
            results[i] = next(results[j] for j in fresh if drafts[j].idempotency_key
                              == draft.idempotency_key)
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
    conn = session.connection()
    query = _TOUCH_HEAD if conn.dialect.name == "sqlite" else _READ_HEAD
    row = conn.execute(query).first()
    if row is None:
        create_chain_head(session)
        row = conn.execute(query).first()
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


def _taken(session, drafts) -> dict[str, set[str]]:
    """``{"key": keys already used, "month": closed months}`` among the drafts'."""
    params = {"keys": sorted({d.idempotency_key for d in drafts}),
              "months": sorted({d.date.strftime("%Y-%m") for d in drafts})}
    query = _TAKEN_MANY
    if len(params["keys"]) == 1 and len(params["months"]) == 1:
        query, params = _TAKEN_ONE, {"keys": params["keys"][0], "months": params["months"][0]}
    out = {"key": set(), "month": set()}
    for kind, value in session.connection().execute(query, params):
        out[kind].add(value)
    return out


def _match_keys(session, drafts, taken: set[str]) -> tuple[list, list[int]]:
    """Earlier entries for known keys, and the indexes of the drafts that are new."""
    known = {e.idempotency_key: e for e in session.scalars(
        sa.select(JournalEntry).where(JournalEntry.idempotency_key.in_(taken)))} if taken else {}
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


def _check_periods(closed: set[str], months: set[str]) -> None:
    if closed & months:
        raise ClosedPeriod(min(closed & months))


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
    """Refuse if a restricted fund would go below zero; then move the balances (one upsert)."""
    _check_restricted(session, batch)
    deltas = defaultdict(int)
    for lines in batch:
        for account_id, _type, fund_id, _restricted, currency, amount in lines:
            deltas[(account_id, fund_id, currency)] += amount
    conn = session.connection()
    # Sorted, so that the balance rows are locked in one order by every writer.
    conn.execute(_UPSERT_BALANCES[conn.dialect.name],
                 [{"account_id": a, "fund_id": f, "currency": c, "amount": m}
                  for (a, f, c), m in sorted(deltas.items())])


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
    rows = session.connection().execute(_HOLDINGS, {"funds": sorted(fund_ids)})
    return {(f, c): int(total or 0) for f, c, total in rows}


def _fund_code(session, fund_id: int) -> str:
    return session.scalar(sa.select(Fund.code).where(Fund.id == fund_id))


def _hash(prev_hash: str, entry_id: int, draft: EntryDraft) -> str:
    return entry_hash(prev_hash, entry_id=entry_id, entry_date=draft.date, memo=draft.memo,
                      key=draft.idempotency_key, source=draft.source,
                      reverses_id=draft.reverses_id,
                      lines=[(ln.account, ln.fund, ln.currency, ln.amount) for ln in draft.lines])


def _entry_row(entry_id: int, hash_: str, draft: EntryDraft) -> dict:
    return {"id": entry_id, "entry_date": draft.date, "memo": draft.memo, "source": draft.source,
            "posted_by": draft.posted_by, "idempotency_key": draft.idempotency_key,
            "reverses_id": draft.reverses_id, "hash": hash_}


def _write(session, entries: list[dict], postings: list[tuple], head_id: int, head_hash: str):
    """Entries, then postings, then the head: three statements, however large the batch."""
    now = utcnow()
    for row in entries:
        row["created_at"] = now
    conn = session.connection()
    conn.execute(_INSERT_ENTRIES, entries)
    # Driver-level SQL: SQLAlchemy's per-row parameter processing was half the cost of a
    # bulk post; errors are still wrapped as SQLAlchemy's.
    conn.exec_driver_sql(_INSERT_POSTINGS.format(_PLACEHOLDER[conn.dialect.paramstyle]),
                         postings)
    conn.execute(_MOVE_HEAD, {"i": head_id, "h": head_hash})


def _attach(session, rows: list[dict]) -> list[JournalEntry]:
    """Persistent JournalEntry objects for rows just inserted, without reading them back.

    They are remembered until the transaction ends: a rollback detaches them, since their
    rows (and ids) are gone and the next posting will reuse the ids.
    """
    configure_mappers()  # a no-op once done; new_instance needs the attributes set up
    entries = []
    for row in rows:
        entry = _ENTRY_CLASS.new_instance()
        entry.__dict__.update(row)
        make_transient_to_detached(entry)  # "as if loaded": postings load on first access
        entries.append(entry)
    session.add_all(entries)
    real = object_session(entries[0])  # the Session behind a scoped_session
    txn = real.get_nested_transaction() or real.get_transaction()
    real.info.setdefault(_ATTACHED, []).append((txn, entries))
    return entries


@event.listens_for(Session, "after_soft_rollback")
def _detach_rolled_back(session, previous_transaction):
    kept = []
    for txn, entries in session.info.pop(_ATTACHED, []):
        if _inside(txn, previous_transaction):
            for entry in entries:
                if entry in session:
                    session.expunge(entry)
        else:
            kept.append((txn, entries))
    if kept:
        session.info[_ATTACHED] = kept


@event.listens_for(Session, "after_commit")
def _forget_committed(session):
    session.info.pop(_ATTACHED, None)


def _inside(txn, ancestor) -> bool:
    while txn is not None:
        if txn is ancestor:
            return True
        txn = txn.parent
    return False
