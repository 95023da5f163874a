"""Public team pages (一起捐): /c/<slug>/teams lists a campaign's teams and, where the campaign
allows, lets a member of the public start one (rate limited: ``TEAMS_RATE_LIMIT``);
/c/<slug>/t/<team> shows a team's goal, progress and wall, and leads to the donate form with
the team's credit (``?team=<team>``)."""
import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale

from campaigns.models import Campaign
from campaigns.teams import services as team_services
from campaigns.teams.forms import TeamForm
from campaigns.teams.views import start_team
from core.access import PUBLIC, guard_blueprint
from core.extensions import db, limiter
from donate import teams
from donate.progress import wall_name

bp = Blueprint("teams", __name__)
guard_blueprint(bp, PUBLIC)
__all__ = ["bp"]
VISIBLE = ("live", "paused", "closed")


def _limit() -> str:
    return current_app.config.get("TEAMS_RATE_LIMIT", "5 per hour;20 per day")


def _campaign_or_404(slug: str) -> Campaign:
    found = db.session.scalar(sa.select(Campaign).filter_by(slug=slug))
    if found is None or found.status not in VISIBLE:
        abort(404)
    return found


def _render_index(campaign, form=None, code=200):
    found = team_services.campaign_teams(db.session, campaign)
    return render_template("teams/index.html", campaign=campaign, form=form or TeamForm(),
                           teams=found, progress={t.id: teams.team_progress(db.session, t) for t in found},
                           locale=str(get_locale())), code


@bp.route("/c/<slug>/teams")
def index(slug: str):
    return _render_index(_campaign_or_404(slug))


@bp.route("/c/<slug>/teams", methods=["POST"])
@limiter.limit(_limit)
def create(slug: str):
    campaign, form = _campaign_or_404(slug), TeamForm()
    team = start_team(campaign, form, f"public:{request.remote_addr or ''}", public=True)
    if team is None:  # a campaign closed to public teams is a 403, bad input a 400
        return _render_index(campaign, form, 400 if campaign.teams_open else 403)
    db.session.commit()
    return redirect(url_for(".team_page", slug=slug, team=team.slug))


@bp.route("/c/<slug>/t/<team>")
def team_page(slug: str, team: str):
    campaign = _campaign_or_404(slug)
    found = team_services.team_by_slug(db.session, campaign, team)
    if found is None:
        abort(404)
    return render_template("teams/page.html", campaign=campaign, team=found,
                           progress=teams.team_progress(db.session, found),
                           wall=teams.team_wall(db.session, found), wall_name=wall_name,
                           locale=str(get_locale()))


@bp.record_once
def _register_globals(setup_state) -> None:
    # The donate form shows "your gift counts for team X" from its ?team= link.
    setup_state.app.jinja_env.globals["team_for_credit"] = (
        lambda campaign, slug: teams.team_for_credit(db.session, campaign, slug))
