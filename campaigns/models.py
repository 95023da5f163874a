"""Campaigns (募捐活动) and the designations (定向) donors may choose on them."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth import utcnow
from core.extensions import db

CAMPAIGN_KINDS = ("pooled", "wish")
CAMPAIGN_STATUSES = ("draft", "live", "paused", "closed")
FEE_BEARERS = ("designated", "general")


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(CAMPAIGN_KINDS), name="known_kind"),
        sa.CheckConstraint(sa.column("status").in_(CAMPAIGN_STATUSES), name="known_status"),
        sa.CheckConstraint(sa.column("fee_bearer").in_(FEE_BEARERS), name="known_fee_bearer"),
        sa.CheckConstraint("min_gift_fen >= 1 AND max_gift_fen >= min_gift_fen", name="gift_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL name, ASCII, unique: /c/<slug>.
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default="pooled")
    title_zh: Mapped[str] = mapped_column(sa.String(120))
    title_en: Mapped[str] = mapped_column(sa.String(120), default="")
    story_zh: Mapped[str] = mapped_column(sa.Text, default="")
    story_en: Mapped[str] = mapped_column(sa.Text, default="")
    cover_image: Mapped[str] = mapped_column(sa.String(255), default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    goal_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    donor_goal: Mapped[int] = mapped_column(default=0)
    homes_goal: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    #: draft → live ⇄ paused → closed; ``campaigns.state`` holds the transitions.
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    #: The campaign's own restricted fund in the ledger, opened when it first goes live.
    fund_code: Mapped[str | None] = mapped_column(sa.String(40))
    #: Which fund bears processor fees: the gift's designated fund or the general fund.
    fee_bearer: Mapped[str] = mapped_column(sa.String(12), default="designated")
    #: Comma-separated preset amounts in fen, e.g. "5000,10000,20000".
    preset_amounts: Mapped[str] = mapped_column(sa.String(200), default="5000,10000,20000,50000")
    min_gift_fen: Mapped[int] = mapped_column(sa.BigInteger, default=100)
    max_gift_fen: Mapped[int] = mapped_column(sa.BigInteger, default=5_000_000)
    #: Whether the public may start a team (一起捐) on this campaign; staff always may.
    teams_open: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    designations: Mapped[list["Designation"]] = relationship(
        back_populates="campaign", order_by="Designation.position", cascade="all, delete-orphan"
    )

    @property
    def preset_amounts_fen(self) -> list[int]:
        """The preset gift amounts, in minor units, smallest first."""
        return sorted(int(part) for part in self.preset_amounts.split(",") if part.strip())

    @property
    def is_public(self) -> bool:
        """Whether the public may see the page (a draft only through the staff preview)."""
        return self.status in ("live", "paused", "closed")

    def accepts_gifts(self, now: datetime | None = None) -> bool:
        """Live, and inside its start and end dates when it has them (naive UTC)."""
        now = now or utcnow()
        if self.status != "live":
            return False
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )

    def designation_for(self, fund_code: str) -> "Designation | None":
        return next((d for d in self.designations if d.fund_code == fund_code), None)

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_zh

    def story(self, locale: str) -> str:
        return self.story_en if locale == "en" and self.story_en else self.story_zh


class Designation(db.Model):
    """One choice a donor may make on a campaign: where the gift goes (a ledger fund)."""

    __tablename__ = "designations"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "fund_code", name="one_per_fund"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    #: general (where most needed), subfund (a street/town), goods (paired-region goods).
    kind: Mapped[str] = mapped_column(sa.String(10), default="general")
    fund_code: Mapped[str] = mapped_column(sa.String(40))
    label_zh: Mapped[str] = mapped_column(sa.String(120))
    label_en: Mapped[str] = mapped_column(sa.String(120), default="")
    position: Mapped[int] = mapped_column(default=0)
    campaign: Mapped[Campaign] = relationship(back_populates="designations")

    def label(self, locale: str) -> str:
        return self.label_en if locale == "en" and self.label_en else self.label_zh
