"""Wishes, their drive settings, every transition (WishEvent) and each donor's reservation.

A donation is referred to by table name (``donations.id``): ``campaigns`` never imports
``donate``. The database holds the two promises that matter even if code were wrong: a wish
is published only once verified, and at most one reservation of a wish is ever "funded" — for a pooled wish (拼好愿), funded by several donors in parts, that its held
and funded parts never add up to more than its price.
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
#: A whole wish is funded by one gift: one "funded" reservation at most (parts are not whole).
_WHOLE_FUNDED = sa.text("status = 'funded' AND NOT pooled")
DEFAULT_MIN_PART_FEN = 1_000


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
    #: Wishes published at or above this price are pooled (拼好愿): funded by several donors
    #: in parts. None: every wish is funded whole.
    pooled_threshold_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: The smallest part of a pooled wish a donor may take (unless less than that remains).
    pooled_min_part_fen: Mapped[int] = mapped_column(sa.BigInteger, default=DEFAULT_MIN_PART_FEN)


class Wish(db.Model):
    __tablename__ = "wishes"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(state.STATUSES), name="known_status"),
        sa.CheckConstraint(sa.column("category").in_(CATEGORIES), name="known_category"),
        sa.CheckConstraint("price_fen > 0", name="positive_price"),
        # Parts held and funded never exceed the price, whatever the code does.
        sa.CheckConstraint("held_fen >= 0 AND funded_fen >= 0 AND held_fen + funded_fen <= price_fen",
                           name="parts_within_price"),
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
    #: The item and story in English, when staff give them; English pages fall back to the
    #: Chinese (marked ``lang="zh-CN"``, see ``core.i18n.bilingual``).
    item_en: Mapped[str] = mapped_column(sa.String(120), default="")
    story_en: Mapped[str] = mapped_column(sa.Text, default="")
    price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    #: Who checked the wish at a home visit, and when; unverified wishes stay drafts.
    verified_by: Mapped[str] = mapped_column(sa.String(254), default="")
    verified_at: Mapped[datetime | None]
    #: While reserved: when the hold ends (naive UTC); a later donor may take it after that.
    reserved_until: Mapped[datetime | None]
    #: Funded in parts by several donors (拼好愿); decided when published, from the drive's
    #: threshold, so that a wish never changes its rules under a donor's feet.
    pooled: Mapped[bool] = mapped_column(default=False)
    #: Pooled wishes: the parts held by live reservations (those run out are freed lazily).
    held_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: What donors have paid towards the wish: its price once funded.
    funded_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: The gift that funded a whole wish (``donations.id``), set once; None for pooled wishes.
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
        sa.CheckConstraint("amount_fen > 0", name="positive_amount"),
        # Funded once: whatever the code does, the database refuses a second funded gift.
        sa.Index("uq_wish_reservations_one_funded", "wish_id", unique=True,
                 sqlite_where=_WHOLE_FUNDED, postgresql_where=_WHOLE_FUNDED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(sa.ForeignKey("wishes.id"), index=True)
    #: Unguessable; the donor's page for this reservation, good only for ``donor_key``.
    token: Mapped[str] = mapped_column(sa.String(40), unique=True, default=new_token)
    #: Who reserved: a random key kept in the donor's session.
    donor_key: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(20), default=state.HELD)
    #: What the donor pays: the wish's price, or the part of a pooled wish they chose.
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: A part of a pooled wish (copied from the wish, for the one-funded index).
    pooled: Mapped[bool] = mapped_column(default=False)
    reserved_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    donation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("donations.id"), unique=True)
    settled_at: Mapped[datetime | None]
    wish: Mapped[Wish] = relationship()
