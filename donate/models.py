"""Donations (one per payment attempt), Stripe events, receipts and the email outbox."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.models import Campaign, Designation
from core.auth import utcnow
from core.extensions import db

#: pending → succeeded → partially_refunded / refunded / disputed; pending → failed / canceled.
DONATION_STATUSES = (
    "pending", "succeeded", "partially_refunded", "refunded", "disputed", "failed", "canceled",
)
#: The statuses that count towards "raised" (net of refunded_fen).
COUNTED_STATUSES = ("succeeded", "partially_refunded", "disputed")


class Donation(db.Model):
    __tablename__ = "donations"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(DONATION_STATUSES), name="known_status"),
        sa.CheckConstraint("amount_fen > 0", name="positive_amount"),
        sa.CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    designation_id: Mapped[int] = mapped_column(sa.ForeignKey("designations.id"))
    #: What the donor pays, fee cover included, in minor units.
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: The part of amount_fen that the donor added to cover the processor fee.
    fee_cover_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    status: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    refunded_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: online (Stripe), bank_transfer, cash.
    channel: Mapped[str] = mapped_column(sa.String(20), default="online")
    donor_name: Mapped[str] = mapped_column(sa.String(60), default="")
    anonymous: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    stripe_payment_intent: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    #: The ledger entry that booked the gift (set on success).
    entry_id: Mapped[int | None]
    receipt_number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(index=True)
    campaign: Mapped[Campaign] = relationship()
    designation: Mapped[Designation] = relationship()

    @property
    def net_fen(self) -> int:
        return self.amount_fen - self.refunded_fen
