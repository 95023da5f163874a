"""Matching bank lines to the ledger postings on the bank's account: automatically (same
amount, date within a window, reference preferred) or by hand, and unmatching.

A match may join one line to several postings or several lines to one posting; its two sides
must sum equal. Nothing is counted twice: the service says so clearly, and the unique
constraints on the match links refuse it in the database should two people race. A month
that is closed, or whose reconciliation was signed off, is locked: its matches stay as they are.
"""
import dataclasses
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.audit import actor_label, record_audit
from finance.bank_models import (BankLine, BankMatch, BankMatchLine, BankMatchPosting,
                                 BankReconciliation)
from ledger.models import Account, Fund, JournalEntry, Period, Posting
from ledger.money import format_plain

DEFAULT_WINDOW_DAYS = 3


class MatchError(ValueError):
    """A match or unmatch that must be refused; ``message`` is safe to show."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclasses.dataclass(frozen=True)
class BookItem:
    """A posting on the bank's ledger account, with what a person needs to recognise it."""

    posting_id: int
    entry_id: int
    entry_date: date
    amount_fen: int
    memo: str
    key: str
    fund: str


def _book_query(account):
    return (sa.select(Posting.id, Posting.entry_id, JournalEntry.entry_date, Posting.amount,
                      JournalEntry.memo, JournalEntry.idempotency_key, Posting.fund_id)
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .join(Account, Account.id == Posting.account_id)
            .where(Account.code == account.ledger_account_code,
                   Posting.currency == account.currency))


def book_items(session, account, *, posting_ids=None, unmatched=False,
               start: date | None = None, end: date | None = None) -> list[BookItem]:
    """Postings on the account's ledger account, oldest first."""
    query = _book_query(account).add_columns(Fund.code).join(Fund, Fund.id == Posting.fund_id)
    if posting_ids is not None:
        query = query.where(Posting.id.in_(posting_ids))
    if unmatched:
        query = query.where(~Posting.id.in_(sa.select(BankMatchPosting.posting_id)))
    if start:
        query = query.where(JournalEntry.entry_date >= start)
    if end:
        query = query.where(JournalEntry.entry_date <= end)
    rows = session.execute(query.order_by(JournalEntry.entry_date, Posting.id))
    return [BookItem(r[0], r[1], r[2], int(r[3]), r[4], r[5], r[7]) for r in rows]


def bank_lines(session, account, *, unmatched=False, start=None, end=None) -> list[BankLine]:
    query = sa.select(BankLine).where(BankLine.bank_account_id == account.id)
    if unmatched:
        query = query.where(~BankLine.id.in_(sa.select(BankMatchLine.bank_line_id)))
    if start:
        query = query.where(BankLine.txn_date >= start)
    if end:
        query = query.where(BankLine.txn_date <= end)
    order = (BankLine.txn_date, BankLine.statement_id, BankLine.position)
    return list(session.scalars(query.order_by(*order)))


def locked_months(session, account) -> set[str]:
    """Months closed in the ledger or signed off for this account."""
    closed = session.scalars(sa.select(Period.month).where(Period.status == "closed"))
    signed = session.scalars(sa.select(BankReconciliation.month)
                             .where(BankReconciliation.bank_account_id == account.id))
    return set(closed) | set(signed)


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _reference_hit(line: BankLine, item: BookItem) -> bool:
    text = f"{item.memo} {item.key}".lower()
    needles = [line.reference.strip().lower(), line.counterparty.strip().lower()]
    return any(len(n) >= 2 and n in text for n in needles)


def _entry_groups(items: list[BookItem]) -> list[list[BookItem]]:
    """Unmatched postings grouped by entry: a payout split over funds is one bank line."""
    groups: dict[int, list[BookItem]] = {}
    for item in items:
        groups.setdefault(item.entry_id, []).append(item)
    return list(groups.values())


def auto_match(session, account, *, actor, window_days: int = DEFAULT_WINDOW_DAYS) -> list:
    """Pair each unmatched line with an unmatched entry's postings on the account that sum
    to its amount within ``window_days``: a reference hit first, then the nearest date,
    then the oldest entry."""
    by, locked = actor_label(actor), locked_months(session, account)
    groups = _entry_groups([i for i in book_items(session, account, unmatched=True)
                            if _month(i.entry_date) not in locked])
    made, window = [], timedelta(days=window_days)
    for line in bank_lines(session, account, unmatched=True):
        if _month(line.txn_date) in locked:
            continue
        candidates = [g for g in groups if sum(i.amount_fen for i in g) == line.amount_fen
                      and abs(g[0].entry_date - line.txn_date) <= window]
        if not candidates:
            continue
        best = min(candidates, key=lambda g: (not _reference_hit(line, g[0]),
                                              abs(g[0].entry_date - line.txn_date), g[0].entry_id))
        groups.remove(best)
        made.append(_save_match(session, account, [line.id], [i.posting_id for i in best],
                                "auto", by))
    if made:
        record_audit(session, actor, "bank.auto_match", account, None,
                     {"matches": [_describe(m) for m in made], "window_days": window_days})
    return made


def match_items(session, account, line_ids, posting_ids, *, actor,
                kind: str = "manual") -> BankMatch:
    """Match the given lines with the given postings by hand; their sums must be equal."""
    line_ids, posting_ids = sorted(set(line_ids)), sorted(set(posting_ids))
    if not line_ids or not posting_ids:
        raise MatchError(_l("Choose at least one bank line and one posting."))
    lines = bank_lines_by_id(session, account, line_ids)
    items = book_items(session, account, posting_ids=posting_ids)
    if len(lines) != len(line_ids) or len(items) != len(posting_ids):
        raise MatchError(_l("A chosen line or posting does not belong to this bank account."))
    _check_unmatched(session, line_ids, posting_ids)
    _check_unlocked(session, account, [ln.txn_date for ln in lines]
                    + [i.entry_date for i in items])
    bank_sum, book_sum = sum(ln.amount_fen for ln in lines), sum(i.amount_fen for i in items)
    if bank_sum != book_sum:
        raise MatchError(_l("The bank lines add up to %(bank)s but the postings to %(book)s; "
                            "a match must balance.", bank=_yuan(bank_sum), book=_yuan(book_sum)))
    match = _save_match(session, account, line_ids, posting_ids, kind, actor_label(actor))
    record_audit(session, actor, f"bank.{kind}_match", match, None, _describe(match))
    return match


def unmatch(session, account, match_id: int, *, actor) -> None:
    """Undo a match: its lines and postings are outstanding again."""
    match = session.get(BankMatch, match_id)
    if match is None or match.bank_account_id != account.id:
        raise MatchError(_l("There is no such match on this bank account."))
    lines = bank_lines_by_id(session, account, [ml.bank_line_id for ml in match.lines])
    items = book_items(session, account, posting_ids=[mp.posting_id for mp in match.postings])
    _check_unlocked(session, account, [ln.txn_date for ln in lines]
                    + [i.entry_date for i in items])
    before = _describe(match)
    session.delete(match)
    session.flush()
    record_audit(session, actor, "bank.unmatch", ("bank_matches", match_id),
                 before, None)


def bank_lines_by_id(session, account, ids) -> list[BankLine]:
    return list(session.scalars(sa.select(BankLine).where(
        BankLine.id.in_(list(ids)), BankLine.bank_account_id == account.id)))


def match_of_line(session, line_id: int) -> BankMatch | None:
    return session.scalar(sa.select(BankMatch).join(BankMatchLine)
                          .where(BankMatchLine.bank_line_id == line_id))


def _check_unmatched(session, line_ids, posting_ids) -> None:
    taken_line = session.scalar(sa.select(BankMatchLine.bank_line_id)
                                .where(BankMatchLine.bank_line_id.in_(line_ids)).limit(1))
    if taken_line is not None:
        raise MatchError(_l("Bank line %(line)s is already matched; it cannot count twice.",
                            line=taken_line))
    taken_posting = session.scalar(sa.select(BankMatchPosting.posting_id)
                                   .where(BankMatchPosting.posting_id.in_(posting_ids)).limit(1))
    if taken_posting is not None:
        raise MatchError(_l("Posting %(posting)s is already matched; it cannot count twice.",
                            posting=taken_posting))


def _check_unlocked(session, account, days) -> None:
    locked = locked_months(session, account) & {_month(d) for d in days}
    if locked:
        raise MatchError(_l("The month %(month)s is closed or its reconciliation is signed "
                            "off; its matches cannot change.", month=min(locked)))


def _save_match(session, account, line_ids, posting_ids, kind: str, by: str) -> BankMatch:
    match = BankMatch(bank_account_id=account.id, kind=kind, created_by=by,
                      lines=[BankMatchLine(bank_line_id=i) for i in line_ids],
                      postings=[BankMatchPosting(posting_id=i) for i in posting_ids])
    session.add(match)
    session.flush()
    return match


def _describe(match: BankMatch) -> dict:
    return {"match": match.id, "kind": match.kind,
            "lines": sorted(ml.bank_line_id for ml in match.lines),
            "postings": sorted(mp.posting_id for mp in match.postings)}


def _yuan(fen: int) -> str:
    return format_plain(fen, "CNY")
