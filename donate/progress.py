"""A campaign's progress, counted three ways, in one definition used everywhere.

* **Raised** counts gifts in :data:`donate.models.COUNTED_STATUSES`, net of refunds:
  ``sum(amount_fen - refunded_fen)``. The donor's fee cover is included (the donor gave it) and
  processor fees are not subtracted: fees are an expense in the ledger, never counted twice.
  Only gifts in the campaign's currency count.
* **Donors** are distinct people over the same gifts: distinct lower-cased email, and each
  gift without an email as one donor of its own.
* **Homes helped** counts distinct households with a confirmed delivery (:func:`homes_helped`).
* **Matched** (配捐) is kept apart: ``raised_fen`` is the public's gifts only, ``matched_fen`` the
  sponsors' booked matches net of reversals (held matches are not counted until released), and
  ``raised_with_matches_fen`` their sum. Pages say "含配捐" whenever they show the sum.
  ``pledges`` lists the live pledges (in their window) with what is left of each pool.

Every figure is one aggregate query over all the campaigns asked for, never a loop over
gifts or over campaigns. The public pages read progress and the donor wall through
:func:`public_progress` and :func:`public_wall`, which reuse a figure for
``PUBLIC_CACHE_SECONDS`` (:mod:`core.cache`): at the giving-day peak the totals may lag by
a few seconds. Nothing a donor reads about their own gift comes from there.
"""
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import object_session, selectinload

from campaigns.homes.distribution import count_homes_helped
from campaigns.homes.models import Distribution
from campaigns.matching import state as matching_state
from campaigns.matching.models import Match, MatchingPledge, pledge_campaigns
from campaigns.models import Campaign
from campaigns.wishes.services import wish_counts as count_wishes
from core.auth import utcnow
from core.cache import cached_many
from donate.models import COUNTED_STATUSES, Donation

#: How many gifts the donor wall shows.
WALL_SIZE = 20


@dataclass(frozen=True)
class PledgeLine:
    """A live matching pledge as donors see it: who matches, at what ratio, what is left."""

    pledge_id: int
    sponsor_id: int
    #: Whether the sponsor has a logo to show (matching_public.sponsor_logo serves it).
    sponsor_has_logo: bool
    sponsor_zh: str
    sponsor_en: str
    ratio_num: int
    ratio_den: int
    pool_fen: int
    pool_remaining_fen: int
    currency: str

    def sponsor(self, locale: str) -> str:
        return self.sponsor_en if locale == "en" and self.sponsor_en else self.sponsor_zh


@dataclass(frozen=True)
class Progress:
    currency: str
    #: The public's gifts only, never the sponsors' matches (see the module docstring).
    raised_fen: int
    goal_fen: int
    donors: int
    donor_goal: int
    homes_helped: int
    homes_goal: int
    matched_fen: int = 0
    pledges: tuple[PledgeLine, ...] = field(default=())

    @property
    def raised_with_matches_fen(self) -> int:
        return self.raised_fen + self.matched_fen

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
        return asdict(self) | {"raised_with_matches_fen": self.raised_with_matches_fen}


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


def _matched_query():
    """Booked matches per campaign, net of reversals, in the campaign's currency."""
    net = sa.func.coalesce(sa.func.sum(Match.amount_fen - Match.reversed_fen), 0)
    return (
        sa.select(Match.campaign_id, net.label("matched"))
        .join(Campaign, Campaign.id == Match.campaign_id)
        .where(Match.status == matching_state.MATCHED, Match.currency == Campaign.currency)
        .group_by(Match.campaign_id)
    )


def _pledge_lines(session, ids) -> dict[int, list[PledgeLine]]:
    """The live pledges inside their window, per campaign id, in priority order (one query)."""
    now = utcnow()
    rows = session.execute(
        sa.select(pledge_campaigns.c.campaign_id, MatchingPledge)
        .join(MatchingPledge, MatchingPledge.id == pledge_campaigns.c.pledge_id)
        .where(pledge_campaigns.c.campaign_id.in_(ids), MatchingPledge.status == matching_state.LIVE,
               MatchingPledge.starts_at <= now, MatchingPledge.ends_at > now)
        .options(selectinload(MatchingPledge.sponsor))
        .order_by(MatchingPledge.priority, MatchingPledge.id)
    ).all()
    out: dict[int, list[PledgeLine]] = {}
    for campaign_id, p in rows:
        out.setdefault(campaign_id, []).append(PledgeLine(
            pledge_id=p.id, sponsor_id=p.sponsor_id, sponsor_has_logo=bool(p.sponsor.logo_type),
            sponsor_zh=p.sponsor.display_name("zh"),
            sponsor_en=p.sponsor.display_name("en"), ratio_num=p.ratio_num, ratio_den=p.ratio_den,
            pool_fen=p.pool_fen, pool_remaining_fen=p.remaining_fen, currency=p.currency))
    return out


def _homes_by_campaign(session, ids) -> dict[int, int]:
    """Distinct households with a confirmed delivery, per campaign id (one query)."""
    rows = session.execute(
        sa.select(Distribution.campaign_id, sa.func.count(sa.distinct(Distribution.household_id)))
        .where(Distribution.campaign_id.in_(ids), Distribution.delivered_on.is_not(None))
        .group_by(Distribution.campaign_id))
    return {campaign_id: int(count) for campaign_id, count in rows}


def homes_helped(campaign: Campaign) -> int:
    """Distinct households with a confirmed gift-pack delivery in this campaign."""
    session = object_session(campaign)
    return count_homes_helped(session, campaign.id) if session is not None else 0


def campaign_progress(session, campaign: Campaign) -> Progress:
    """The progress of one campaign, counted now."""
    return progress_by_campaign(session, [campaign])[campaign.id]


def progress_by_campaign(session, campaigns) -> dict[int, Progress]:
    """Progress for many campaigns at once, keyed by campaign id, counted now: one query per
    figure (raised and donors, matched, live pledges and their sponsors, homes) however many
    campaigns there are."""
    ids = [c.id for c in campaigns]
    rows = {r.campaign_id: r for r in session.execute(_totals_query().where(Donation.campaign_id.in_(ids)))}
    matched = {r.campaign_id: int(r.matched)
               for r in session.execute(_matched_query().where(Match.campaign_id.in_(ids)))}
    pledges, homes = _pledge_lines(session, ids), _homes_by_campaign(session, ids)
    return {c.id: Progress(
        currency=c.currency, raised_fen=int(rows[c.id].raised) if c.id in rows else 0,
        goal_fen=c.goal_fen, donors=int(rows[c.id].donors) if c.id in rows else 0,
        donor_goal=c.donor_goal, homes_helped=homes.get(c.id, 0), homes_goal=c.homes_goal,
        matched_fen=matched.get(c.id, 0), pledges=tuple(pledges.get(c.id, ())),
    ) for c in campaigns}


def public_progress(session, campaigns) -> dict[int, Progress]:
    """:func:`progress_by_campaign` for the public pages and the JSON API: each campaign's
    figures are reused for ``PUBLIC_CACHE_SECONDS``, and the missing ones counted together."""
    by_id = {c.id: c for c in campaigns}
    return cached_many("progress", list(by_id),
                       lambda ids: progress_by_campaign(session, [by_id[i] for i in ids]))


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


@dataclass(frozen=True)
class WallGift:
    """A gift as the donor wall shows it: what :func:`wall_name` and the page read, no more."""

    donor_name: str
    anonymous: bool
    net_fen: int
    currency: str
    message: str


def public_wall(session, campaign: Campaign) -> list[WallGift]:
    """:func:`recent_gifts` for the public page, reused for ``PUBLIC_CACHE_SECONDS``."""
    def count(_ids):
        return {campaign.id: [WallGift(g.donor_name, g.anonymous, g.net_fen, g.currency, g.message)
                              for g in recent_gifts(session, campaign)]}

    return cached_many("wall", [campaign.id], count)[campaign.id]


def wall_name(donation: Donation) -> str:
    """The name the donor wall may show; "" for an anonymous or nameless gift."""
    return "" if donation.anonymous else (donation.donor_name or "").strip()


def wish_counts(campaign: Campaign) -> dict | None:
    """``{open, reserved, funded, delivered}`` of a wish drive's wishes; None for other drives."""
    session = object_session(campaign)
    if campaign.kind != "wish" or session is None:
        return None
    return count_wishes(session, campaign.id)
