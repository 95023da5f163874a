"""Operations on teams: check, create (by staff, or by the public where the campaign allows),
open or close a campaign to public teams, hide a team. Flush, never commit; refusals raise
:class:`TeamError` with a message safe to show and the form field it belongs to."""
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from campaigns.homes.goods import parse_price
from campaigns.homes.state import HomesError
from campaigns.models import Campaign
from campaigns.teams.models import NAME_MAX, SLUG_MAX, Team

#: Anything a browser could take for markup: a tag, a comment, a doctype or an entity.
HTML_LIKE = re.compile(r"<\s*[a-zA-Z!/?]|&#?[a-zA-Z0-9]+;")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


class TeamError(ValueError):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message, self.field = message, field


@dataclass
class TeamInput:
    name: str
    slug: str = ""
    #: In yuan, as typed; empty for no goal.
    goal: str = ""


def name_problem(name: str):
    """The message for a bad team name, or None."""
    name = (name or "").strip()
    if not name:
        return _l("This field is required.")
    if len(name) > NAME_MAX:
        return _l("A team name has at most %(max)d characters.", max=NAME_MAX)
    if HTML_LIKE.search(name):
        return _l("A team name is plain text: leave out HTML such as <b> or &amp;.")
    return None


def _slug_problem(slug: str):
    if len(slug) > SLUG_MAX or not SLUG_RE.match(slug):
        return _l("Use lower-case letters, digits and hyphens (at most %(max)d).", max=SLUG_MAX)
    return None


def _goal_fen(text: str) -> int:
    if not (text or "").strip():
        return 0
    try:
        return parse_price(text, "goal")
    except HomesError as err:
        raise TeamError(err.message, "goal") from None


def _check(session, campaign: Campaign, data: TeamInput) -> tuple[str, str, int]:
    problem = name_problem(data.name)
    if problem:
        raise TeamError(problem, "name")
    slug = (data.slug or "").strip().lower()
    if slug and _slug_problem(slug):
        raise TeamError(_slug_problem(slug), "slug")
    if slug and team_by_slug(session, campaign, slug, only_active=False):
        raise TeamError(_l("This address is taken; choose another."), "slug")
    return data.name.strip(), slug, _goal_fen(data.goal)


def create_team(session, campaign: Campaign, data: TeamInput, actor: str, public: bool = False) -> Team:
    """A team of ``campaign``; ``public`` teams only where ``campaign.teams_open``.

    Without a chosen address, one is made up (``t-`` and six random letters and digits).
    """
    if public and not (campaign.teams_open and campaign.status == "live"):
        raise TeamError(_l("This campaign does not take new teams from the public."))
    name, slug, goal = _check(session, campaign, data)
    team = Team(campaign_id=campaign.id, slug=slug or f"t-{secrets.token_hex(3)}", name=name,
                goal_fen=goal, created_by=actor[:254], creator_kind="public" if public else "staff")
    try:
        with session.begin_nested():
            session.add(team)
    except IntegrityError:
        raise TeamError(_l("This address is taken; choose another."), "slug") from None
    return team


def team_by_slug(session, campaign: Campaign, slug: str, only_active: bool = True) -> Team | None:
    query = sa.select(Team).filter_by(campaign_id=campaign.id, slug=(slug or "")[:SLUG_MAX])
    if only_active:
        query = query.filter_by(status="active")
    return session.scalar(query)


def campaign_teams(session, campaign: Campaign, only_active: bool = True) -> list[Team]:
    query = sa.select(Team).filter_by(campaign_id=campaign.id).order_by(Team.id)
    if only_active:
        query = query.filter_by(status="active")
    return list(session.scalars(query))


def set_teams_open(session, campaign: Campaign, is_open: bool) -> Campaign:
    campaign.teams_open = bool(is_open)
    session.flush()
    return campaign


def set_team_status(session, team: Team, status: str) -> Team:
    """Hide a team (its page goes, its gifts keep their credit) or show it again."""
    if status not in ("active", "hidden"):
        raise TeamError(_l("Unknown status."))
    team.status = status
    session.flush()
    return team
