"""Gifts credited to teams (一起捐): the soft credit set on the donate form, a team's progress
and its wall, and the demo teams. A credit is only a ``team_id`` on the donation — the ledger
books the gift exactly as without a team."""
from dataclasses import dataclass

import sqlalchemy as sa

from campaigns.models import Campaign
from campaigns.services import campaign_by_slug
from campaigns.teams import services as team_services
from campaigns.teams.models import Team
from donate.models import COUNTED_STATUSES, Donation

WALL_SIZE = 50


@dataclass(frozen=True)
class TeamProgress:
    raised_fen: int
    gifts: int
    donors: int


def team_for_credit(session, campaign: Campaign, slug: str | None) -> Team | None:
    """The active team of ``campaign`` named ``slug``; None for no team or an unknown one
    (a stale or mistyped link still lets the donor give, without credit)."""
    if not slug:
        return None
    return team_services.team_by_slug(session, campaign, slug)


def credit_team(session, donation: Donation, slug: str | None) -> Team | None:
    """Credit ``donation`` to the team named ``slug`` on its campaign, if there is one."""
    team = team_for_credit(session, donation.campaign, slug)
    if team is not None:
        donation.team_id = team.id
        session.flush()
    return team


def _counted(team: Team):
    return sa.and_(Donation.team_id == team.id, Donation.status.in_(COUNTED_STATUSES))


def team_progress(session, team: Team) -> TeamProgress:
    """Raised (net of refunds), gifts and distinct donors (by email, else one per gift)."""
    donor = sa.func.coalesce(sa.func.nullif(sa.func.lower(Donation.email), ""), sa.cast(Donation.id, sa.String))
    raised, gifts, donors = session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(Donation.amount_fen - Donation.refunded_fen), 0),
        sa.func.count(Donation.id), sa.func.count(sa.distinct(donor))).where(_counted(team))).one()
    return TeamProgress(raised_fen=int(raised), gifts=gifts, donors=donors)


def team_wall(session, team: Team, limit: int = WALL_SIZE) -> list[Donation]:
    """The team's gifts, newest first, for its wall (names masked by the template if anonymous)."""
    return list(session.scalars(sa.select(Donation).where(_counted(team))
                                .order_by(Donation.succeeded_at.desc(), Donation.id.desc()).limit(limit)))


# -- demo -----------------------------------------------------------------------------------

DEMO_DRIVE = "wanren-juan"
#: slug, name, goal (yuan), how many of the drive's demo gifts it is credited with.
DEMO_TEAMS = (("lujiazui-bank", "陆家嘴某银行志愿者队", "5000", 4),
              ("huinan-class-3-2", "惠南小学三（2）班", "1000", 3),
              ("zhoupu-committee", "周浦镇某居委会", "2000", 2))


def seed_teams(session) -> int:
    """A few teams on the 万人捐 drive, each credited with some of its demo gifts; idempotent.

    Returns how many demo teams there are (0 without the drive).
    """
    drive = campaign_by_slug(session, DEMO_DRIVE)
    if drive is None:
        return 0
    free = list(session.scalars(sa.select(Donation).where(
        Donation.campaign_id == drive.id, Donation.source_ref.like("demo:%"), Donation.team_id.is_(None),
        Donation.status.in_(COUNTED_STATUSES)).order_by(Donation.id)))
    for slug, name, goal, credits in DEMO_TEAMS:
        team = team_services.team_by_slug(session, drive, slug, only_active=False)
        if team is None:
            team = team_services.create_team(session, drive, team_services.TeamInput(
                name=name, slug=slug, goal=goal), "staff@demo.wanjia")
            for gift in free[:credits]:
                gift.team_id = team.id
            free = free[credits:]
    session.flush()
    return len(DEMO_TEAMS)
