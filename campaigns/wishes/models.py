"""Wishes, their drive settings, every transition (WishEvent) and each donor's reservation.

A donation is referred to by table name (``donations.id``): ``campaigns`` never imports
``donate``. The database holds the two promises that matter even if code were wrong: a wish
is published only once verified, and at most one reservation of a wish is ever "funded".
"""
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from campaigns.models import Campaign
from campaigns.wishes import state
from core.auth import utcnow
from core.extensions import db

CATEGORIES = ("study", "daily", "health", "culture")
DEFAULT_PRICE_CAP_FEN = 50_000
_FUNDED = sa.text("status = 'funded'")


def new_token() -> str:
    return secrets.token_urlsafe(18)


class WishDriveSettings(db.Model):
    """Per wish drive: the price cap, how long a reservation holds, what happens to late gifts."""

    __tablename__ = "wish_drive_settings"
    __table_args__ = (
        sa.CheckConstraint("price_cap_fen > 0", name="positive_cap"),
        sa.CheckConstraint("reservation_minutes BETWEEN 1 AND 1440", name="reservation_range"),
    )

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True,
                                             autoincrement=False)
    #: No wish in the drive may cost more (default ¥500).
    price_cap_fen: Mapped[int] = mapped_column(sa.BigInteger, default=DEFAULT_PRICE_CAP_FEN)
    reservation_minutes: Mapped[int] = mapped_column(default=15)
    #: A gift for a wish someone else funded first: kept in the pool (False) or refunded.
    refund_late_gifts: Mapped[bool] = mapped_column(default=False)
    #: Reserved for pooled funding of dear wishes (several donors); unused for now.
    pooled_threshold_fen: Mapped[int | None] = mapped_column(sa.BigInteger)


class Wish(db.Model):
    __tablename__ = "wishes"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(state.STATUSES), name="known_status"),
        sa.CheckConstraint(sa.column("category").in_(CATEGORIES), name="known_category"),
        sa.CheckConstraint("price_fen > 0", name="positive_price"),
        sa.CheckConstraint("status IN ('draft', 'cancelled') OR verified_at IS NOT NULL",
                           name="verified_before_public"),
        sa.Index("ix_wishes_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    #: See ``campaigns.wishes.state``.
    status: Mapped[str] = mapped_column(sa.String(12), default=state.DRAFT)
    #: A pseudonym, never the child's real name ("小雨").
    beneficiary: Mapped[str] = mapped_column(sa.String(40))
    #: "10–12岁" style band, never a birth date.
    age_band: Mapped[str] = mapped_column(sa.String(20))
    #: One of the 36 codes in campaigns/data/pudong-streets-towns.csv.
    street_code: Mapped[str] = mapped_column(sa.String(12))
    category: Mapped[str] = mapped_column(sa.String(10))
    #: Plain text as typed (HTML included) and escaped on display.
    story: Mapped[str] = mapped_column(sa.Text, default="")
    item: Mapped[str] = mapped_column(sa.String(120))
    price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    #: Who checked the wish at a home visit, and when; unverified wishes stay drafts.
    verified_by: Mapped[str] = mapped_column(sa.String(254), default="")
    verified_at: Mapped[datetime | None]
    #: While reserved: when the hold ends (naive UTC); a later donor may take it after that.
    reserved_until: Mapped[datetime | None]
    #: The gift that funded it (``donations.id``), set once.
    funded_donation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("donations.id"), unique=True)
    purchase_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    supplier: Mapped[str] = mapped_column(sa.String(120), default="")
    purchase_entry_id: Mapped[int | None]
    #: A photo of the shop receipt (never of the child); its media type.
    receipt_photo: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    receipt_photo_type: Mapped[str] = mapped_column(sa.String(20), default="")
    thank_you_note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    campaign: Mapped[Campaign] = relationship()
    events: Mapped[list["WishEvent"]] = relationship(order_by="WishEvent.id", viewonly=True)

    @property
    def label(self) -> str:
        return f"{self.beneficiary}，{self.age_band}"


class WishEvent(db.Model):
    """One transition of a wish: what, from which status to which, who, when."""

    __tablename__ = "wish_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(sa.ForeignKey("wishes.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    from_status: Mapped[str] = mapped_column(sa.String(12))
    to_status: Mapped[str] = mapped_column(sa.String(12))
    #: A staff email, "donor:<key>", "donation:<id>" or "system".
    actor: Mapped[str] = mapped_column(sa.String(254))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class WishReservation(db.Model):
    """One donor's hold on a wish while paying, and what became of it."""

    __tablename__ = "wish_reservations"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(state.RESERVATION_STATUSES), name="known_status"),
        # Funded once: whatever the code does, the database refuses a second funded gift.
        sa.Index("uq_wish_reservations_one_funded", "wish_id", unique=True,
                 sqlite_where=_FUNDED, postgresql_where=_FUNDED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(sa.ForeignKey("wishes.id"), index=True)
    #: Unguessable; the donor's page for this reservation, good only for ``donor_key``.
    token: Mapped[str] = mapped_column(sa.String(40), unique=True, default=new_token)
    #: Who reserved: a random key kept in the donor's session.
    donor_key: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(20), default=state.HELD)
    reserved_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    donation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("donations.id"), unique=True)
    settled_at: Mapped[datetime | None]
    wish: Mapped[Wish] = relationship()
