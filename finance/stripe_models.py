"""What Stripe says happened to the balance: one row per balance transaction, one per payout,
and the API fetches in progress (so that an interrupted fetch resumes where it stopped).

Lines are stored once by Stripe's ``txn_…`` id: importing the same file or the same API
range again finds every row and changes nothing.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.auth import utcnow
from core.extensions import db

#: ``unmatched`` until reconciliation finds the line's counterpart in the books.
LINE_STATUSES = ("unmatched", "matched")
PAYOUT_STATUSES = ("unmatched", "matched")
ORIGINS = ("api", "csv")


class StripeBalanceLine(db.Model):
    """One Stripe balance transaction (charge, refund, dispute, fee, payout…)."""

    __tablename__ = "stripe_balance_lines"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(LINE_STATUSES), name="known_status"),
        sa.CheckConstraint(sa.column("origin").in_(ORIGINS), name="known_origin"),
        sa.CheckConstraint("net_fen = gross_fen - fee_fen", name="net_is_gross_less_fee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stripe's ``txn_…`` id; the line is stored once whichever way it arrives.
    balance_transaction_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    #: When Stripe created it (naive UTC); its books month decides the period.
    created_utc: Mapped[datetime] = mapped_column(index=True)
    available_on_utc: Mapped[datetime | None]
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: Signed minor units, as Stripe reports them (a refund's gross is negative).
    gross_fen: Mapped[int] = mapped_column(sa.BigInteger)
    fee_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    net_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: charge, refund, dispute, dispute_reversal, fee, payout, adjustment, …
    reporting_category: Mapped[str] = mapped_column(sa.String(40))
    #: The object behind it: ``ch_…``/``py_…``, ``re_…``, ``dp_…``, ``po_…``.
    source_id: Mapped[str] = mapped_column(sa.String(255), default="", index=True)
    payment_intent_id: Mapped[str] = mapped_column(sa.String(255), default="", index=True)
    charge_id: Mapped[str] = mapped_column(sa.String(255), default="")
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    #: The automatic payout that carried this line to the bank (empty while in the balance).
    payout_id: Mapped[str] = mapped_column(sa.String(255), default="", index=True)
    origin: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(10), default="unmatched", index=True)
    #: Why it is unmatched, a code the pages translate (``no_donation``, ``fee_differs``…).
    reason: Mapped[str] = mapped_column(sa.String(30), default="")
    #: What the books say for the same item (fen), when they disagree on the amount.
    books_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    donation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("donations.id"), index=True)
    #: The fund the line's money belongs to (the gift's designated fund), once known.
    fund_code: Mapped[str] = mapped_column(sa.String(40), default="")
    #: The books' entry for the same item (the gift's, the refund's, the dispute's).
    entry_id: Mapped[int | None]
    #: The fee entry posted from this line, when the books lacked the fee.
    fee_entry_id: Mapped[int | None]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripePayout(db.Model):
    """An automatic payout: Stripe's balance to the bank, booked clearing → bank per fund."""

    __tablename__ = "stripe_payouts"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(PAYOUT_STATUSES), name="known_status"),
        sa.CheckConstraint("amount_fen > 0", name="positive_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stripe's ``po_…`` id.
    payout_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    #: What reached the bank, positive minor units.
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: When the money left the Stripe balance (automatic_payout_effective_at / arrival_date).
    effective_utc: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(10), default="unmatched", index=True)
    reason: Mapped[str] = mapped_column(sa.String(30), default="")
    #: The clearing → bank entry.
    entry_id: Mapped[int | None]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeFetch(db.Model):
    """One API fetch of a created-range; ``cursor`` is the last id read, so a fetch that
    stopped half-way resumes there instead of reading every page again."""

    __tablename__ = "stripe_fetches"
    __table_args__ = (sa.UniqueConstraint("created_gte", "created_lt", name="range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unix times, the range asked for: [created_gte, created_lt).
    created_gte: Mapped[int] = mapped_column(sa.BigInteger)
    created_lt: Mapped[int] = mapped_column(sa.BigInteger)
    cursor: Mapped[str] = mapped_column(sa.String(255), default="")
    done: Mapped[bool] = mapped_column(default=False)
    lines_seen: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
