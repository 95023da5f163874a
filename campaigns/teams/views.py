"""Staff pages for teams: a campaign's teams, starting one, hiding one, and whether the public
may start teams there. (Amounts raised show on the public team pages, which ``donate`` owns.)"""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaigns.models import Campaign
from campaigns.teams import services
from campaigns.teams.forms import TeamForm, TeamsOpenForm
from campaigns.teams.models import Team
from core.access import STAFF, guard_blueprint
from core.extensions import db

bp = Blueprint("teams_staff", __name__, url_prefix="/staff/teams")
guard_blueprint(bp, STAFF)
__all__ = ["bp", "start_team"]


def _campaign_or_404(slug: str) -> Campaign:
    return db.session.scalar(sa.select(Campaign).filter_by(slug=slug)) or abort(404)


def _render(campaign, form=None, code=200):
    return render_template("teams/staff.html", campaign=campaign, form=form or TeamForm(),
                           open_form=TeamsOpenForm(teams_open=campaign.teams_open),
                           teams=services.campaign_teams(db.session, campaign, only_active=False)), code


def start_team(campaign, form: TeamForm, actor: str, public: bool = False) -> Team | None:
    """The team ``form`` describes, flushed; None with the refusal put on the form (and the
    session rolled back). Shared with the public page in ``donate.teams_views``."""
    if not form.validate_on_submit():
        return None
    try:
        return services.create_team(db.session, campaign, services.TeamInput(
            name=form.name.data or "", slug=form.slug.data or "", goal=form.goal.data or ""), actor, public)
    except services.TeamError as err:
        db.session.rollback()
        getattr(form, err.field or "name").errors = [str(err.message)]
        return None


@bp.route("/<slug>")
def campaign_teams(slug: str):
    return _render(_campaign_or_404(slug))


@bp.route("/<slug>", methods=["POST"])
def create(slug: str):
    campaign, form = _campaign_or_404(slug), TeamForm()
    team = start_team(campaign, form, current_user.email)
    if team is None:
        return _render(campaign, form, 400)
    db.session.commit()
    flash(_("Team “%(name)s” was started.", name=team.name), "success")
    return redirect(url_for(".campaign_teams", slug=slug))


@bp.route("/<slug>/open", methods=["POST"])
def set_open(slug: str):
    campaign, form = _campaign_or_404(slug), TeamsOpenForm()
    if form.validate_on_submit():
        services.set_teams_open(db.session, campaign, form.teams_open.data)
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for(".campaign_teams", slug=slug))


@bp.route("/<slug>/<int:team_id>/status", methods=["POST"])
def set_status(slug: str, team_id: int):
    """Hide a team (``status=hidden``) or show it again (``status=active``)."""
    campaign = _campaign_or_404(slug)
    team = db.session.get(Team, team_id)
    if team is None or team.campaign_id != campaign.id:
        abort(404)
    try:
        services.set_team_status(db.session, team, request.form.get("status", ""))
        db.session.commit()
    except services.TeamError as err:
        db.session.rollback()
        flash(str(err.message), "error")
    return redirect(url_for(".campaign_teams", slug=slug))
