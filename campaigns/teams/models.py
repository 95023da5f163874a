"""The team of a campaign; its address is /c/<campaign>/t/<slug>."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.models import Campaign
from core.auth import utcnow
from core.extensions import db

TEAM_STATUSES = ("active", "hidden")
CREATOR_KINDS = ("staff", "public")
NAME_MAX = 40
SLUG_MAX = 40


class Team(db.Model):
    __tablename__ = "teams"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "slug", name="slug_per_campaign"),
        sa.CheckConstraint(sa.column("status").in_(TEAM_STATUSES), name="known_status"),
        sa.CheckConstraint(sa.column("creator_kind").in_(CREATOR_KINDS), name="known_creator"),
        sa.CheckConstraint("goal_fen >= 0", name="goal_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: ASCII, unique within the campaign: /c/<campaign>/t/<slug>.
    slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX))
    #: Plain text (HTML-looking names are refused), escaped on display.
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    #: What the team hopes to raise, in the campaign's currency; 0 for no goal.
    goal_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: A staff email, or "public:<address>" for a team started by a member of the public.
    created_by: Mapped[str] = mapped_column(sa.String(254))
    creator_kind: Mapped[str] = mapped_column(sa.String(10), default="staff")
    #: "hidden" teams have no page and take no new credit (staff hide an unsuitable one).
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    campaign: Mapped[Campaign] = relationship()
