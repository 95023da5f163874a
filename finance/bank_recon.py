"""The monthly bank reconciliation statement (银行存款余额调节表) and its sign-off.

For one bank account and one month: the bank's balance at the month's end against the
books' balance of the account's ledger account, and the outstanding items that explain the
difference — bank lines not yet in the books, and postings the bank has not shown yet::

    bank balance − bank lines not in the books  =  book balance − postings not at the bank

An item counts as outstanding at the month's end when it is unmatched, or matched only with
items dated after the month. Items dated before the account's first imported line are the
books' history before reconciliation began and are not listed. A finance user signs the
month off once both sides agree; a closed month cannot be signed or changed.
"""
import dataclasses
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.audit import actor_label, record_audit
from finance.bank_match import BookItem, bank_lines, book_items
from finance.bank_models import (BankAccount, BankLine, BankMatch, BankMatchLine,
                                 BankMatchPosting, BankReconciliation)
from finance.checklist import CheckResult, register_check
from finance.close import month_bounds
from ledger.balances import account_balance
from ledger.models import JournalEntry, Posting
from ledger.periods import period_status


class SignOffError(ValueError):
    """A sign-off that must be refused; ``message`` is safe to show."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclasses.dataclass
class Reconciliation:
    account: BankAccount
    month: str
    end: date
    #: None when no bank line is known up to the month's end.
    statement_fen: int | None
    ledger_fen: int
    bank_items: list[BankLine]
    book_items: list[BookItem]
    signed: BankReconciliation | None
    period_status: str

    @property
    def outstanding_bank_fen(self) -> int:
        return sum(line.amount_fen for line in self.bank_items)

    @property
    def outstanding_book_fen(self) -> int:
        return sum(item.amount_fen for item in self.book_items)

    @property
    def adjusted_bank_fen(self) -> int | None:
        if self.statement_fen is None:
            return None
        return self.statement_fen - self.outstanding_bank_fen

    @property
    def adjusted_book_fen(self) -> int:
        return self.ledger_fen - self.outstanding_book_fen

    @property
    def difference_fen(self) -> int | None:
        bank = self.adjusted_bank_fen
        return None if bank is None else bank - self.adjusted_book_fen

    @property
    def locked(self) -> bool:
        return self.period_status == "closed"


def _statement_balance(session, account, end: date) -> int | None:
    return session.scalar(
        sa.select(BankLine.balance_fen)
        .where(BankLine.bank_account_id == account.id, BankLine.txn_date <= end)
        .order_by(BankLine.txn_date.desc(), BankLine.statement_id.desc(),
                  BankLine.position.desc()).limit(1))


def _matched_after(session, account, end: date) -> tuple[set[int], set[int]]:
    """Lines and postings whose match holds an item dated after ``end`` (not yet settled)."""
    late_by_line = (sa.select(BankMatchLine.match_id).join(BankLine)
                    .where(BankLine.txn_date > end))
    late_by_posting = (sa.select(BankMatchPosting.match_id)
                       .join(Posting, Posting.id == BankMatchPosting.posting_id)
                       .join(JournalEntry, JournalEntry.id == Posting.entry_id)
                       .where(JournalEntry.entry_date > end))
    late = (sa.select(BankMatch.id).where(BankMatch.bank_account_id == account.id)
            .where(BankMatch.id.in_(late_by_line.union(late_by_posting))))
    lines = set(session.scalars(sa.select(BankMatchLine.bank_line_id)
                                .where(BankMatchLine.match_id.in_(late))))
    postings = set(session.scalars(sa.select(BankMatchPosting.posting_id)
                                   .where(BankMatchPosting.match_id.in_(late))))
    return lines, postings


def reconcile_month(session, account, month: str) -> Reconciliation:
    """The reconciliation statement of ``account`` for ``month`` (``YYYY-MM``)."""
    start, end = month_bounds(month)
    since = session.scalar(sa.select(sa.func.min(BankLine.txn_date))
                           .where(BankLine.bank_account_id == account.id)) or start
    late_lines, late_postings = _matched_after(session, account, end)
    lines = bank_lines(session, account, unmatched=True, start=since, end=end)
    lines += [ln for ln in bank_lines(session, account, start=since, end=end)
              if ln.id in late_lines]
    items = book_items(session, account, unmatched=True, start=since, end=end)
    items += [i for i in book_items(session, account, start=since, end=end)
              if i.posting_id in late_postings]
    signed = session.scalar(sa.select(BankReconciliation).filter_by(
        bank_account_id=account.id, month=month))
    return Reconciliation(
        account=account, month=month, end=end,
        statement_fen=_statement_balance(session, account, end),
        ledger_fen=account_balance(session, account.ledger_account_code, None,
                                   account.currency, as_of=end),
        bank_items=sorted(lines, key=lambda ln: (ln.txn_date, ln.id)),
        book_items=sorted(items, key=lambda i: (i.entry_date, i.posting_id)),
        signed=signed, period_status=period_status(session, month))


def sign_off(session, account, month: str, *, actor) -> BankReconciliation:
    """Sign the month's reconciliation as ``actor`` (a finance user); flushes only."""
    rec = reconcile_month(session, account, month)
    if rec.locked:
        raise SignOffError(_l("The month %(month)s is closed; its reconciliation is locked.",
                              month=month))
    if rec.signed is not None:
        raise SignOffError(_l("The reconciliation of %(month)s was already signed off by "
                              "%(who)s.", month=month, who=rec.signed.signed_by))
    if rec.statement_fen is None:
        raise SignOffError(_l("No bank statement covers %(month)s yet: import it first.",
                              month=month))
    if rec.difference_fen != 0:
        raise SignOffError(_l("The reconciliation does not balance yet; only a zero "
                              "difference can be signed off."))
    row = BankReconciliation(
        bank_account_id=account.id, month=month, statement_fen=rec.statement_fen,
        ledger_fen=rec.ledger_fen, outstanding_bank_fen=rec.outstanding_bank_fen,
        outstanding_book_fen=rec.outstanding_book_fen, signed_by_id=actor.id,
        signed_by=actor_label(actor))
    session.add(row)
    session.flush()
    record_audit(session, actor, "bank.sign_off", row, None, {
        "account": account.id, "month": month, "statement": rec.statement_fen,
        "ledger": rec.ledger_fen, "outstanding_bank": [ln.id for ln in rec.bank_items],
        "outstanding_book": [i.posting_id for i in rec.book_items]})
    return row


@register_check("bank_reconciled", _l("Bank accounts reconciled for the month"))
def check_bank_reconciled(session, start: date, end: date) -> CheckResult:
    """Every active bank account's reconciliation of the month is signed off."""
    month = start.strftime("%Y-%m")
    accounts = session.scalars(sa.select(BankAccount).where(BankAccount.active)
                               .order_by(BankAccount.id)).all()
    signed = set(session.scalars(sa.select(BankReconciliation.bank_account_id)
                                 .where(BankReconciliation.month == month)))
    missing = [a.name for a in accounts if a.id not in signed]
    if missing:
        return CheckResult(False, _("Not signed off for %(month)s: %(accounts)s",
                                    month=month, accounts="、".join(missing)), "bank.index")
    return CheckResult(True, _("%(count)s bank accounts signed off.", count=len(accounts)),
                       "bank.index")
