"""Refunds and lost disputes of money that a restricted fund has already spent.

A refund made in Stripe's dashboard, or a dispute the foundation lost, is a fact: the money
has left the processor account, and the books must say so. When the gift's restricted fund
has meanwhile spent it (a street's sub-fund bought the goods), booking the reversal alone
would take the fund below zero, which the ledger refuses. What a finance office does instead:
the reversal is booked in full against the gift's fund, and what the fund no longer holds is
first moved into it from the general (unrestricted) fund by an interfund transfer, in the same
transaction, its memo naming the gift; likewise the drive's fund when the gift's sponsor match
is reversed and the drive has spent the match. The general fund bears the loss: the restricted
money was spent as the donor asked and cannot be taken back from the households. (A
receivable from the donor would be fiction: nobody owes it. "Refunds payable" is for a refund
promised and not yet paid; this one is paid.) See docs/ledger.md, "Refunds of money already
spent".

Each transfer is recorded as a :class:`RefundShortfall`; the month-end checklist stays red
until a finance officer acknowledges it (``finance.shortfall_views``). A refund that a finance
officer starts from Wanjia's donation page is not covered: the back office refuses it before
asking Stripe, so that spending general money is a decision, not a side effect.
"""
from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.matching.engine import reversed_share
from campaigns.matching.models import Match
from campaigns.matching.state import MATCHED
from campaigns.models import Campaign
from core.auth import utcnow
from core.extensions import db
from ledger import chart
from ledger.funds import account_ref, fund_ref
from ledger.models import HOLDING_TYPES
from ledger.money import format_plain
from ledger.periods import books_date
from ledger.posting import EntryDraft, Line, fund_holdings, lock_ledger, post_entry

SHORTFALL_KINDS = ("refund", "dispute")


class RefundShortfall(db.Model):
    """What the general fund moved into a restricted fund so that a refund or a lost
    dispute of money already spent could be booked; one per Stripe refund or dispute."""

    __tablename__ = "refund_shortfalls"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="positive_amount"),
        sa.CheckConstraint(sa.column("kind").in_(SHORTFALL_KINDS), name="known_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donations.id"), index=True)
    #: ``refund`` (charge.refunded) or ``dispute`` (a lost dispute).
    kind: Mapped[str] = mapped_column(sa.String(10))
    #: Stripe's ``re_…`` or ``dp_…`` id (the gift's fund and its drive's may both be covered).
    stripe_ref: Mapped[str] = mapped_column(sa.String(255), index=True)
    #: The restricted fund that had spent the money, and what it lacked.
    fund_code: Mapped[str] = mapped_column(sa.String(40))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    #: The interfund transfer from the general fund.
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("journal_entries.id"), unique=True)
    #: The transfer's accounting date: the month whose checklist shows it.
    books_day: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The finance officer who saw it (empty until then), and when.
    acknowledged_by: Mapped[str] = mapped_column(sa.String(254), default="")
    acknowledged_at: Mapped[datetime | None]

    donation = relationship("Donation")


def cover_draft(*, key: str, day: date, fund: str, amount: int, currency: str,
                memo: str) -> EntryDraft:
    """The general fund's transfer of ``amount`` into restricted ``fund``: net assets move
    from unrestricted to restricted (非限定性 → 限定性), the cash through the interfund account."""
    lines = (Line(chart.NET_ASSETS_UNRESTRICTED, chart.GENERAL_FUND, amount, currency),
             Line(chart.INTERFUND, chart.GENERAL_FUND, -amount, currency),
             Line(chart.INTERFUND, fund, amount, currency),
             Line(chart.NET_ASSETS_RESTRICTED, fund, -amount, currency))
    return EntryDraft(date=day, memo=memo, lines=lines, idempotency_key=key, source="donate")


def _missing(session, fund_code: str, currency: str, change: int) -> int:
    """What ``fund_code`` lacks to take ``change`` to its holdings (0: enough, or unrestricted).

    Call it holding the ledger lock, so that nothing spends from the fund before the change
    is posted in the same transaction.
    """
    fund = fund_ref(session, fund_code)
    if not fund.restricted:
        return 0
    held = fund_holdings(session, {fund.id}).get((fund.id, currency), 0)
    return max(0, -(held + change))


def shortfall_of(session, draft: EntryDraft, fund_code: str) -> int:
    """What restricted ``fund_code`` lacks to take ``draft``."""
    lines = [ln for ln in draft.lines if ln.fund == fund_code]
    change = sum(ln.amount for ln in lines if account_ref(session, ln.account).type in HOLDING_TYPES)
    return _missing(session, fund_code, lines[0].currency if lines else "CNY", change)


def post_covered(session, donation, draft: EntryDraft, *, kind: str, stripe_ref: str):
    """Post ``draft`` (a refund or a lost dispute of ``donation`` that Stripe has already
    carried out), first moving from the general fund what the gift's fund lacks for it.
    Returns the draft's entry; flushes."""
    lock_ledger(session)  # held until commit: the fund's holding cannot change under us
    fund_code = donation.designation.fund_code
    missing = shortfall_of(session, draft, fund_code)
    if missing:
        record_shortfall(session, donation, fund_code, missing, day=draft.date, kind=kind,
                         stripe_ref=stripe_ref, what=f"{kind} {stripe_ref}")
    return post_entry(session, draft)


def match_reversals_of(session, donation, amount_fen: int) -> dict[str, int]:
    """Per drive fund: what reversing the gift's booked matches, once ``amount_fen`` more of
    it is gone, takes from the fund (the arithmetic of ``engine.reverse_matches``)."""
    out = defaultdict(int)
    gone = donation.refunded_fen + amount_fen
    for match in session.scalars(sa.select(Match).where(Match.donation_id == donation.id,
                                                        Match.status == MATCHED)):
        target = reversed_share(match.amount_fen, donation.amount_fen, gone, match.currency)
        delta = min(target - match.reversed_fen, match.net_fen)
        if delta > 0:
            out[session.get(Campaign, match.campaign_id).fund_code] += delta
    return out


def cover_match_reversals(session, donation, amount_fen: int, *, kind: str, stripe_ref: str) -> None:
    """Before the matches of ``donation`` are reversed for ``amount_fen`` more refunded or
    lost: move into each drive fund from the general fund what it lacks for the reversal."""
    lock_ledger(session)
    for fund_code, taken in sorted(match_reversals_of(session, donation, amount_fen).items()):
        missing = _missing(session, fund_code, donation.currency, -taken)
        if missing:
            record_shortfall(session, donation, fund_code, missing, day=books_date(), kind=kind,
                             stripe_ref=stripe_ref, what=f"the match reversal of {kind} {stripe_ref}")


def record_shortfall(session, donation, fund_code: str, amount: int, *, day: date, kind: str,
                     stripe_ref: str, what: str) -> RefundShortfall:
    """Post the general fund's transfer of ``amount`` into ``fund_code`` and record it."""
    currency = donation.currency
    entry = post_entry(session, cover_draft(
        key=f"stripe:{stripe_ref}:shortfall:{fund_code}", day=day, fund=fund_code,
        amount=amount, currency=currency,
        memo=(f"General fund covers {format_plain(amount, currency)} {currency} of {what} "
              f"of gift #{donation.id}: fund {fund_code} had spent it")))
    shortfall = RefundShortfall(donation_id=donation.id, kind=kind, stripe_ref=stripe_ref,
                                fund_code=fund_code, amount_fen=amount, currency=currency,
                                entry_id=entry.id, books_day=day)
    session.add(shortfall)
    session.flush()
    return shortfall


def open_shortfalls(session, until: date | None = None) -> list[RefundShortfall]:
    """Shortfalls nobody has acknowledged yet (booked on or before ``until``), oldest first."""
    query = sa.select(RefundShortfall).where(RefundShortfall.acknowledged_at.is_(None))
    if until is not None:
        query = query.where(RefundShortfall.books_day <= until)
    return list(session.scalars(query.order_by(RefundShortfall.id)))


def list_shortfalls(session) -> list[RefundShortfall]:
    """Every shortfall, the ones still to acknowledge first, then the newest."""
    return list(session.scalars(sa.select(RefundShortfall).order_by(
        RefundShortfall.acknowledged_at.is_not(None), RefundShortfall.id.desc())))


def acknowledge_shortfall(session, shortfall: RefundShortfall, by: str,
                          now: datetime | None = None) -> bool:
    """Mark ``shortfall`` seen by finance officer ``by``; False if it already was."""
    if shortfall.acknowledged_at is not None:
        return False
    shortfall.acknowledged_by, shortfall.acknowledged_at = by, now or utcnow()
    session.flush()
    return True
