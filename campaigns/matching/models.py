"""Sponsors, their matching pledges, the campaigns and designations a pledge covers, each
match made on a gift, and the pledge's history (transitions, sponsor payments, lapses).

The database keeps the promise that matters even if code were wrong: a pledge's matched total
never exceeds its pool (``spent_within_pool``), and a gift is matched at most once per pledge.
A donation is referred to by table name (``donations.id``): ``campaigns`` never imports
``donate``.
"""
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.matching import state
from campaigns.models import Campaign, Designation
from core.auth import utcnow
from core.extensions import db

pledge_campaigns = sa.Table(
    "matching_pledge_campaigns", db.metadata,
    sa.Column("pledge_id", sa.ForeignKey("matching_pledges.id"), primary_key=True),
    sa.Column("campaign_id", sa.ForeignKey("campaigns.id"), primary_key=True),
)
#: Empty for a pledge means every designation of its campaigns qualifies.
pledge_designations = sa.Table(
    "matching_pledge_designations", db.metadata,
    sa.Column("pledge_id", sa.ForeignKey("matching_pledges.id"), primary_key=True),
    sa.Column("designation_id", sa.ForeignKey("designations.id"), primary_key=True),
)


class Sponsor(db.Model):
    """A company or foundation that pledges to match the public's gifts."""

    __tablename__ = "sponsors"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The legal name, for statements and the books.
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    #: What donors see on the banner ("某某企业"); falls back to ``name``.
    display_name_zh: Mapped[str] = mapped_column(sa.String(120), default="")
    display_name_en: Mapped[str] = mapped_column(sa.String(120), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(60), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    #: A small logo (PNG/JPEG/WebP) and its media type; never required.
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    logo_type: Mapped[str] = mapped_column(sa.String(20), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    pledges: Mapped[list["MatchingPledge"]] = relationship(back_populates="sponsor",
                                                           order_by="MatchingPledge.id")

    def display_name(self, locale: str) -> str:
        if locale == "en" and self.display_name_en:
            return self.display_name_en
        return self.display_name_zh or self.name


class MatchingPledge(db.Model):
    """A sponsor's promise: match ``ratio_num/ratio_den`` yuan per yuan given, within caps."""

    __tablename__ = "matching_pledges"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(state.STATUSES), name="known_status"),
        sa.CheckConstraint("ratio_num > 0 AND ratio_den > 0", name="positive_ratio"),
        sa.CheckConstraint("pool_fen > 0", name="positive_pool"),
        # The promise that no code path may break: a pool is never over-spent.
        sa.CheckConstraint("spent_fen >= 0 AND spent_fen <= pool_fen", name="spent_within_pool"),
        sa.CheckConstraint("received_fen >= 0", name="received_not_negative"),
        sa.CheckConstraint("min_gift_fen >= 0", name="min_gift_not_negative"),
        sa.CheckConstraint("cap_per_gift_fen IS NULL OR (cap_per_gift_fen > 0 "
                           "AND cap_per_gift_fen <= pool_fen)", name="gift_cap_range"),
        sa.CheckConstraint("escrow_bps BETWEEN 0 AND 10000", name="escrow_range"),
        sa.CheckConstraint("ends_at > starts_at", name="window_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sponsor_id: Mapped[int] = mapped_column(sa.ForeignKey("sponsors.id"), index=True)
    #: See ``campaigns.matching.state``.
    status: Mapped[str] = mapped_column(sa.String(10), default=state.DRAFT)
    #: Match = gift × ratio_num / ratio_den, rounded down to the fen (1:1 → 1/1, 2:1 → 2/1).
    ratio_num: Mapped[int] = mapped_column(default=1)
    ratio_den: Mapped[int] = mapped_column(default=1)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    #: A gift below this does not qualify (0: every gift does).
    min_gift_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: Caps on the match (not the gift); NULL means no cap of that kind.
    cap_per_gift_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    cap_per_donor_day_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    cap_per_donor_campaign_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: The total the sponsor promised; ``spent_fen`` is what matches (held included) use of it.
    pool_fen: Mapped[int] = mapped_column(sa.BigInteger)
    spent_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: What the sponsor has actually paid in so far (bank), settling the receivable.
    received_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: Escrow: the pledge may go live only once received_fen ≥ pool × escrow_bps / 10000.
    escrow_bps: Mapped[int] = mapped_column(default=0)
    #: The window, naive UTC like every stored datetime.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    #: Optional daily opening hours in the books' time zone (Asia/Shanghai), e.g. 09:00–21:00.
    daily_opens: Mapped[time | None]
    daily_closes: Mapped[time | None]
    #: Lower goes first when several pledges cover one campaign.
    priority: Mapped[int] = mapped_column(default=100)
    #: Whether monthly (recurring) gifts qualify.
    matches_recurring: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sponsor: Mapped[Sponsor] = relationship(back_populates="pledges")
    campaigns: Mapped[list[Campaign]] = relationship(secondary=pledge_campaigns)
    designations: Mapped[list[Designation]] = relationship(secondary=pledge_designations)

    @property
    def remaining_fen(self) -> int:
        return self.pool_fen - self.spent_fen

    @property
    def escrow_required_fen(self) -> int:
        """What the sponsor must have paid in before the pledge may go live."""
        return -(-self.pool_fen * self.escrow_bps // 10000)


class Match(db.Model):
    """What one pledge added to one gift, and what became of it."""

    __tablename__ = "matches"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(state.MATCH_STATUSES), name="known_status"),
        sa.CheckConstraint("amount_fen > 0", name="positive_amount"),
        sa.CheckConstraint("reversed_fen >= 0 AND reversed_fen <= amount_fen",
                           name="reversed_range"),
        sa.UniqueConstraint("pledge_id", "donation_id", name="once_per_gift"),
        sa.Index("ix_matches_pledge_donor_day", "pledge_id", "donor_fingerprint", "books_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("matching_pledges.id"))
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donations.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: The match as made (never changed); refunds record ``reversed_fen`` instead.
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: The gift it matched (without fee cover), and the part of it this match covered: a gift
    #: matched by several pledges is consumed in priority order (see ``engine``).
    gift_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    base_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    reversed_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    status: Mapped[str] = mapped_column(sa.String(10), default=state.MATCHED)
    #: Who gave, for per-donor caps: a card fingerprint, else a hash of email and phone.
    donor_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    #: The gift's day in the books' time zone, for per-donor daily caps.
    books_day: Mapped[date] = mapped_column(sa.Date)
    #: Why a match is held (the gaming rule that fired), for the review page.
    hold_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The entry that booked it (pledges receivable / donation income), once matched.
    entry_id: Mapped[int | None]
    reviewed_by: Mapped[str] = mapped_column(sa.String(254), default="")
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    pledge: Mapped[MatchingPledge] = relationship()

    @property
    def net_fen(self) -> int:
        return self.amount_fen - self.reversed_fen


class PledgeEvent(db.Model):
    """The pledge's history: transitions, sponsor payments, capacity returned or lapsed."""

    __tablename__ = "matching_pledge_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("matching_pledges.id"), index=True)
    #: A state action ("go_live", "pause" …), "payment", "capacity_returned", "capacity_lapsed".
    action: Mapped[str] = mapped_column(sa.String(20))
    from_status: Mapped[str] = mapped_column(sa.String(10), default="")
    to_status: Mapped[str] = mapped_column(sa.String(10), default="")
    #: The amount concerned (a payment, capacity returned or lapsed), else 0.
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: The ledger entry it made, if any (a sponsor payment).
    entry_id: Mapped[int | None]
    #: The match it concerns (capacity returned or lapsed, a release or rejection), if any.
    match_id: Mapped[int | None] = mapped_column(sa.ForeignKey("matches.id"))
    #: External key of a payment (bank reference), unique per pledge when given.
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    #: A staff email, "donation:<id>" or "system".
    actor: Mapped[str] = mapped_column(sa.String(254))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
