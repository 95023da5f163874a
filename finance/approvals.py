"""Entries made from unmatched bank lines, under two-person approval (四眼原则).

A finance user prepares an entry for a bank line the books do not explain — an offline gift
that arrived by transfer, a bank fee, interest — and a *second* finance user approves it.
Approval posts the entry (idempotency key ``bank:<line id>``) and matches it with the line;
rejection records why. The preparer can neither approve nor reject their own request: the
service refuses with a clear message, and a check constraint refuses it in the database.

=========  ====================================  ====================================
kind       debit                                 credit
=========  ====================================  ====================================
gift       bank [designated fund]                donation income [designated fund]
bank_fee   administrative expense 5201 [GEN]     bank [GEN]
interest   bank [GEN]                            other income 4901 [GEN]
=========  ====================================  ====================================
"""
import json
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, lazyload, mapped_column, relationship

from campaigns.models import Campaign, Designation
from core.audit import actor_label, record_audit
from core.auth import utcnow
from core.extensions import db
from finance.bank_match import match_items, match_of_line
from finance.bank_models import BankAccount, BankLine
from finance.offline import (OfflineGift, OfflineGiftError, check_offline_gift,
                             record_offline_gift)
from ledger import chart
from ledger.models import Account, JournalEntry
from ledger.posting import EntryDraft, Line, post_entry

KINDS = ("gift", "bank_fee", "interest")
STATUSES = ("pending", "approved", "rejected")
#: Interest on deposits is 其他收入 in the NPO chart; opened on first use.
OTHER_INCOME = ("4901", "revenue", "其他收入", "Other income")


class ApprovalError(ValueError):
    """A request, approval or rejection that must be refused; ``message`` is safe to show."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message, self.field = message, field


class EntryRequest(db.Model):
    """An entry prepared for a bank line, waiting for (or given) a second user's decision."""

    __tablename__ = "entry_requests"
    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(KINDS), name="known_kind"),
        sa.CheckConstraint(sa.column("status").in_(STATUSES), name="known_status"),
        sa.CheckConstraint("decided_by_id IS NULL OR decided_by_id <> prepared_by_id",
                           name="four_eyes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_line_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_lines.id"), index=True)
    #: The line again while the request is pending or approved, NULL once rejected: unique,
    #: so a line has at most one live request.
    active_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bank_lines.id"),
                                                       unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    memo: Mapped[str] = mapped_column(sa.String(300), default="")
    #: JSON: for a gift, the campaign, designation, donor name and email.
    details: Mapped[str] = mapped_column(sa.Text, default="{}")
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    prepared_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    prepared_by: Mapped[str] = mapped_column(sa.String(254))
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_by: Mapped[str] = mapped_column(sa.String(254), default="")
    decided_at: Mapped[datetime | None]
    #: Why it was rejected.
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    #: The entry approval posted.
    entry_id: Mapped[int | None]
    line: Mapped[BankLine] = relationship(foreign_keys=[bank_line_id], lazy="joined")

    @property
    def detail_data(self) -> dict:
        return json.loads(self.details or "{}")


def _state(req: EntryRequest) -> dict:
    return {"status": req.status, "kind": req.kind, "line": req.bank_line_id,
            "amount": req.line.amount_fen, "memo": req.memo, "details": req.detail_data,
            "entry": req.entry_id, "reason": req.reason}


def propose_entry(session, line: BankLine, *, kind: str, actor, memo: str = "",
                  details: dict | None = None) -> EntryRequest:
    """Prepare an entry for an unmatched ``line``; flushes only."""
    if kind not in KINDS:
        raise ApprovalError(_l("Choose what the line is: a gift, a bank fee or interest."), "kind")
    if (line.amount_fen < 0) != (kind == "bank_fee"):
        raise ApprovalError(_l("A bank fee is money leaving the account; a gift or interest "
                               "is money arriving. This line does not fit."), "kind")
    if match_of_line(session, line.id) is not None:
        raise ApprovalError(_l("This bank line is already matched."))
    if session.scalar(sa.select(EntryRequest.id).filter_by(active_line_id=line.id)):
        raise ApprovalError(_l("An entry for this bank line is already waiting for approval "
                               "or approved."))
    if kind == "gift":
        _gift_for(session, line, details or {})  # refuses bad details now, not at approval
    req = EntryRequest(bank_line_id=line.id, active_line_id=line.id, kind=kind,
                       memo=(memo or "").strip()[:300], details=json.dumps(details or {}),
                       prepared_by_id=actor.id, prepared_by=actor_label(actor))
    session.add(req)
    session.flush()
    record_audit(session, actor, "approval.prepare", req, None, _state(req))
    return req


def _decide(session, req: EntryRequest, actor) -> dict:
    # Locked and re-read: two approvers clicking at once decide one after the other, and the
    # second finds it decided.
    session.execute(sa.select(EntryRequest).where(EntryRequest.id == req.id)
                    .options(lazyload(EntryRequest.line)).with_for_update()
                    .execution_options(populate_existing=True)).scalar_one()
    if req.status != "pending":
        raise ApprovalError(_l("This request was already decided."))
    if actor.id == req.prepared_by_id:
        raise ApprovalError(_l("You prepared this entry, so another finance user must "
                               "approve or reject it."))
    before = _state(req)
    req.decided_by_id, req.decided_by, req.decided_at = actor.id, actor_label(actor), utcnow()
    return before


def approve_entry(session, req: EntryRequest, *, actor) -> EntryRequest:
    """Post the entry, match it with its line and mark the request approved; flushes only."""
    before = _decide(session, req, actor)
    line = req.line
    account = session.get(BankAccount, line.bank_account_id)
    entry_id = _post_for(session, req, account, actor)
    posting_ids = [p.id for p in session.get(JournalEntry, entry_id).postings
                   if p.account.code == account.ledger_account_code]
    match_items(session, account, [line.id], posting_ids, actor=actor, kind="entry")
    req.status, req.entry_id = "approved", entry_id
    session.flush()
    record_audit(session, actor, "approval.approve", req, before, _state(req))
    return req


def reject_entry(session, req: EntryRequest, *, actor, reason: str) -> EntryRequest:
    """Refuse the request with a reason; the line is free for another request."""
    if not (reason or "").strip():
        raise ApprovalError(_l("Say why the entry is rejected."), "reason")
    before = _decide(session, req, actor)
    req.status, req.reason, req.active_line_id = "rejected", reason.strip()[:500], None
    session.flush()
    record_audit(session, actor, "approval.reject", req, before, _state(req))
    return req


def _post_for(session, req: EntryRequest, account: BankAccount, actor) -> int:
    line, key = req.line, f"bank:{req.bank_line_id}"
    if req.kind == "gift":
        gift = _gift_for(session, line, req.detail_data, account.ledger_account_code)
        return record_offline_gift(session, gift, actor=actor, source_ref=key, key=key).entry_id
    amount, bank = abs(line.amount_fen), account.ledger_account_code
    if req.kind == "bank_fee":
        lines = (Line(chart.ADMIN_EXPENSE, chart.GENERAL_FUND, amount, line.currency),
                 Line(bank, chart.GENERAL_FUND, -amount, line.currency))
    else:
        income = ensure_other_income(session)
        lines = (Line(bank, chart.GENERAL_FUND, amount, line.currency),
                 Line(income, chart.GENERAL_FUND, -amount, line.currency))
    memo = f"Bank {req.kind.replace('_', ' ')}, line {line.id}: {req.memo or line.memo}"
    entry = post_entry(session, EntryDraft(date=line.txn_date, memo=memo[:500], lines=lines,
                                           idempotency_key=key, source="bank",
                                           posted_by=actor_label(actor)))
    return entry.id


def ensure_other_income(session) -> str:
    code, type_, name_zh, name_en = OTHER_INCOME
    if session.scalar(sa.select(Account.id).filter_by(code=code)) is None:
        chart.add_account(session, code, type=type_, name_zh=name_zh, name_en=name_en)
    return code


def _gift_for(session, line: BankLine, details: dict, bank_code: str = chart.BANK) -> OfflineGift:
    campaign = session.get(Campaign, int(details.get("campaign_id") or 0))
    designation = session.get(Designation, int(details.get("designation_id") or 0))
    if campaign is None:
        raise ApprovalError(_l("Choose the drive the gift is for."), "designation")
    gift = OfflineGift(campaign=campaign, designation=designation,
                       donor_name=str(details.get("donor_name") or line.counterparty or ""),
                       email=str(details.get("email") or ""), amount_fen=line.amount_fen,
                       channel="bank_transfer", gift_date=line.txn_date,
                       collected_by=f"bank line {line.id}", bank_account_code=bank_code)
    try:
        check_offline_gift(gift)
    except OfflineGiftError as err:
        raise ApprovalError(err.message, err.field) from None
    return gift


def pending_requests(session) -> list[EntryRequest]:
    return list(session.scalars(sa.select(EntryRequest).order_by(EntryRequest.id.desc())))
