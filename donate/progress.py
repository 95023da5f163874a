"""A campaign's progress, counted three ways, in one definition used everywhere.

* **Raised** counts gifts in :data:`donate.models.COUNTED_STATUSES`, net of refunds:
  ``sum(amount_fen - refunded_fen)``. The donor's fee cover is included (the donor gave it) and
  processor fees are not subtracted: fees are an expense in the ledger, never counted twice.
  Only gifts in the campaign's currency count.
* **Donors** are distinct people over the same gifts: distinct lower-cased email, and each
  gift without an email as one donor of its own.
* **Homes helped** counts distinct households with a confirmed delivery (:func:`homes_helped`).

Every figure is one aggregate query, never a loop over gifts.
"""
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from sqlalchemy.orm import object_session

from campaigns.homes.distribution import count_homes_helped
from campaigns.models import Campaign
from campaigns.wishes.services import wish_counts as count_wishes
from donate.models import COUNTED_STATUSES, Donation

#: How many gifts the donor wall shows.
WALL_SIZE = 20


@dataclass(frozen=True)
class Progress:
    currency: str
    raised_fen: int
    goal_fen: int
    donors: int
    donor_goal: int
    homes_helped: int
    homes_goal: int

    @staticmethod
    def _percent(value: int, goal: int) -> int:
        """Whole percent of ``goal``, capped at 100 (integers only)."""
        return min(100, value * 100 // goal) if goal > 0 else 0

    @property
    def raised_percent(self) -> int:
        return self._percent(self.raised_fen, self.goal_fen)

    @property
    def donors_percent(self) -> int:
        return self._percent(self.donors, self.donor_goal)

    @property
    def homes_percent(self) -> int:
        return self._percent(self.homes_helped, self.homes_goal)

    def as_dict(self) -> dict:
        return asdict(self)


def _totals_query():
    """raised and donors per campaign, over counted gifts in the campaign's currency."""
    has_email = Donation.email != ""
    donors = (
        sa.func.count(sa.distinct(sa.case((has_email, sa.func.lower(Donation.email)))))
        + sa.func.coalesce(sa.func.sum(sa.case((has_email, 0), else_=1)), 0)
    )
    raised = sa.func.coalesce(sa.func.sum(Donation.amount_fen - Donation.refunded_fen), 0)
    return (
        sa.select(Donation.campaign_id, raised.label("raised"), donors.label("donors"))
        .join(Campaign, Campaign.id == Donation.campaign_id)
        .where(Donation.status.in_(COUNTED_STATUSES), Donation.currency == Campaign.currency)
        .group_by(Donation.campaign_id)
    )


def homes_helped(campaign: Campaign) -> int:
    """Distinct households with a confirmed gift-pack delivery in this campaign."""
    session = object_session(campaign)
    return count_homes_helped(session, campaign.id) if session is not None else 0


def _progress(campaign: Campaign, raised: int, donors: int) -> Progress:
    return Progress(
        currency=campaign.currency, raised_fen=int(raised), goal_fen=campaign.goal_fen,
        donors=int(donors), donor_goal=campaign.donor_goal,
        homes_helped=homes_helped(campaign), homes_goal=campaign.homes_goal,
    )


def campaign_progress(session, campaign: Campaign) -> Progress:
    """The progress of one campaign (one query)."""
    row = session.execute(_totals_query().where(Donation.campaign_id == campaign.id)).first()
    return _progress(campaign, row.raised if row else 0, row.donors if row else 0)


def progress_by_campaign(session, campaigns) -> dict[int, Progress]:
    """Progress for many campaigns at once (one query), keyed by campaign id."""
    ids = [c.id for c in campaigns]
    rows = {r.campaign_id: r for r in session.execute(_totals_query().where(Donation.campaign_id.in_(ids)))}
    return {
        c.id: _progress(c, rows[c.id].raised if c.id in rows else 0, rows[c.id].donors if c.id in rows else 0)
        for c in campaigns
    }


def recent_gifts(session, campaign: Campaign, limit: int = WALL_SIZE) -> list[Donation]:
    """The latest counted gifts for the donor wall, newest first."""
    when = sa.func.coalesce(Donation.succeeded_at, Donation.created_at)
    query = (
        sa.select(Donation)
        .where(Donation.campaign_id == campaign.id, Donation.status.in_(COUNTED_STATUSES))
        .order_by(when.desc(), Donation.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def wall_name(donation: Donation) -> str:
    """The name the donor wall may show; "" for an anonymous or nameless gift."""
    return "" if donation.anonymous else (donation.donor_name or "").strip()


def wish_counts(campaign: Campaign) -> dict | None:
    """``{open, reserved, funded, delivered}`` of a wish drive's wishes; None for other drives."""
    session = object_session(campaign)
    if campaign.kind != "wish" or session is None:
        return None
    return count_wishes(session, campaign.id)
