"""Donations (one per payment attempt), their refunds and disputes, Stripe events, receipt
counters, the email outbox and the failed-payment log used against card testing."""
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.models import Campaign, Designation
from campaigns.teams.models import Team  # noqa: F401  (donations.team_id refers to its table)
from core.auth import utcnow
from core.extensions import db
from donate import state

#: See ``donate.state`` for the transitions between them.
DONATION_STATUSES = tuple(state.STATUS_LABELS)
#: The statuses that count towards "raised" (net of refunded_fen).
COUNTED_STATUSES = (state.SUCCEEDED, state.PARTIALLY_REFUNDED, state.DISPUTED)
OUTBOX_STATUSES = ("queued", "sent", "failed")


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Donation(db.Model):
    __tablename__ = "donations"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(DONATION_STATUSES), name="known_status"),
        sa.CheckConstraint("amount_fen > 0", name="positive_amount"),
        sa.CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_range"),
        sa.CheckConstraint("fee_cover_fen >= 0 AND fee_cover_fen < amount_fen", name="fee_cover_range"),
        sa.CheckConstraint("fee_fen >= 0", name="fee_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unguessable: the thank-you page's address, so that ids cannot be walked.
    token: Mapped[str] = mapped_column(sa.String(40), unique=True, default=new_token)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    designation_id: Mapped[int] = mapped_column(sa.ForeignKey("designations.id"))
    #: What the donor pays, fee cover included, in minor units.
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: The part of amount_fen that the donor added to cover the processor fee.
    fee_cover_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: The processor's actual fee, from the balance transaction, set when booked.
    fee_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    status: Mapped[str] = mapped_column(sa.String(20), default=state.PENDING, index=True)
    refunded_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: online (Stripe), bank_transfer, cash.
    channel: Mapped[str] = mapped_column(sa.String(20), default="online")
    donor_name: Mapped[str] = mapped_column(sa.String(60), default="")
    anonymous: Mapped[bool] = mapped_column(default=False)
    #: Stored as typed (HTML included) and escaped on display.
    message: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    #: Who took a cash or bank-transfer gift for the foundation (offline gifts only).
    collected_by: Mapped[str] = mapped_column(sa.String(60), default="")
    #: The address the gift was made from; failed payments from it count towards a lock-out.
    client_ip: Mapped[str] = mapped_column(sa.String(45), default="")
    #: Who gave, for matching's per-donor caps: a hash of the normalised email and phone at
    #: creation, replaced by ``card:<Stripe card fingerprint>`` at booking when Stripe has one.
    donor_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    stripe_payment_intent: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    #: Where a gift that is not a PaymentIntent came from (``demo:001``, a bank line), unique.
    source_ref: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    #: The ledger entry that booked the gift (set on success).
    entry_id: Mapped[int | None]
    receipt_number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    # -- monthly giving (donate/recurring.py) --
    #: The monthly plan this gift renews (None for a one-off gift).
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recurring_plans.id"), index=True)
    #: Stripe's ``in_…`` id of the paid invoice: one gift per invoice, however often it is reported.
    stripe_invoice: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The team (一起捐) whose page the gift was made through: a soft credit, no ledger entry.
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    campaign: Mapped[Campaign] = relationship()
    designation: Mapped[Designation] = relationship()

    @property
    def net_fen(self) -> int:
        return self.amount_fen - self.refunded_fen

    @property
    def gift_fen(self) -> int:
        """The gift without the fee cover."""
        return self.amount_fen - self.fee_cover_fen

    @property
    def booking_key(self) -> str:
        """The ledger idempotency key of the gift's entry."""
        if self.stripe_payment_intent:
            return f"stripe:{self.stripe_payment_intent}:succeeded"
        return f"donation:{self.source_ref or self.token}:succeeded"


class DonationRefund(db.Model):
    """One refund of (part of) a donation; booked once per Stripe refund id."""

    __tablename__ = "donation_refunds"
    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="positive_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donations.id"), index=True)
    #: Stripe's ``re_…`` id, the idempotency key of the refund.
    stripe_refund: Mapped[str] = mapped_column(sa.String(255), unique=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    entry_id: Mapped[int | None]
    #: Who asked for it: a staff email, or "stripe" when it came by webhook.
    requested_by: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DonationDispute(db.Model):
    """A card holder's dispute of a donation's charge (Stripe ``dp_…``)."""

    __tablename__ = "donation_disputes"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(("open", "won", "lost")), name="known_status"),
        sa.CheckConstraint("amount_fen > 0", name="positive_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donations.id"), index=True)
    stripe_dispute: Mapped[str] = mapped_column(sa.String(255), unique=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    #: The entry that moved the amount to disputes held, and the one that settled it.
    opened_entry_id: Mapped[int | None]
    closed_entry_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeEvent(db.Model):
    """Every verified webhook event, stored once by its id and processed once."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stripe's ``evt_…`` id; a replay finds the row and changes nothing.
    event_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    payload: Mapped[str] = mapped_column(sa.Text)
    #: booked, ignored, unknown_payment_intent, … — what processing did, for the logs.
    outcome: Mapped[str] = mapped_column(sa.String(40), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # -- the inbox (donate/inbox.py) --
    #: When processing finished; None while the event waits in the inbox.
    processed_at: Mapped[datetime | None] = mapped_column(index=True)
    #: Failed processing attempts; an event that failed once is retried by ``payments drain``.
    attempts: Mapped[int] = mapped_column(default=0)
    #: What the last failed attempt said (cut to fit).
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")


class ReceiptCounter(db.Model):
    """The last receipt number given in a year; its row is locked while a number is taken."""

    __tablename__ = "receipt_counters"
    __table_args__ = (sa.CheckConstraint("last_number >= 0", name="not_negative"),)

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class OutboxMessage(db.Model):
    """An email queued in the same transaction as what it reports; sent later by the CLI."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(OUTBOX_STATUSES), name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Makes queueing idempotent (e.g. ``receipt:2026-000001``).
    dedup_key: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class FailedPaymentAttempt(db.Model):
    """A declined payment, by client address: enough of them in a window lock the address out."""

    __tablename__ = "failed_payment_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_ip: Mapped[str] = mapped_column(sa.String(45), index=True)
    donation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("donations.id"))
    #: The Stripe event that reported it, so that a replay is not counted twice.
    event_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
