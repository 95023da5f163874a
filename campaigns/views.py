"""Staff pages (staff role): the campaign list, create, edit, preview and status changes."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from campaigns import models  # noqa: F401 - the tables must exist when the app is built
from campaigns import services, state
from campaigns.forms import CampaignForm, StatusForm
from campaigns.models import Campaign
from core.access import STAFF, guard_blueprint
from core.extensions import db

bp = Blueprint("campaigns", __name__, url_prefix="/staff")
guard_blueprint(bp, STAFF)


def _campaign_or_404(campaign_id: int) -> Campaign:
    return db.session.get(Campaign, campaign_id) or abort(404)


def _campaign_form(campaign: Campaign | None = None) -> CampaignForm:
    form = CampaignForm()
    form.designation_funds.choices = [
        SelectChoice(f.code, f"{f.name_zh} · {f.name_en}") for f in services.designable_funds(db.session)
    ]
    if campaign is not None and campaign.status != state.DRAFT:
        for name in services.LOCKED_AFTER_DRAFT:
            del form[name]
    return form


def _put_errors(form: CampaignForm, errors: dict) -> None:
    """Put a service's refusals back on the form, next to the field they concern."""
    fields = {"goal_fen": "goal", "min_gift_fen": "min_gift", "max_gift_fen": "max_gift"}
    for name, message in errors.items():
        field = form[fields.get(name, name)] if fields.get(name, name) in form else form.title_zh
        field.errors = list(field.errors) + [message]


def _save(form: CampaignForm, campaign: Campaign | None):
    """Call the service; commit once, or roll back and show the refusals on the form."""
    try:
        if campaign is None:
            campaign = services.create_campaign(db.session, form.to_input())
        else:
            services.update_campaign(db.session, campaign, form.to_input(locked_from=campaign))
        db.session.commit()
    except services.CampaignInvalid as err:
        db.session.rollback()
        _put_errors(form, err.errors)
        return None
    except sa.exc.IntegrityError:
        # Another request took the same slug between our check and our insert.
        db.session.rollback()
        _put_errors(form, {"slug": services.SLUG_TAKEN})
        return None
    return campaign


@bp.route("/")
def index():
    campaigns = services.list_campaigns(db.session)
    return render_template("campaigns/index.html", campaigns=campaigns, status_labels=state.STATUS_LABELS)


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new():
    form = _campaign_form()
    if form.validate_on_submit() and (campaign := _save(form, None)):
        flash(_("The campaign %(slug)s was created as a draft.", slug=campaign.slug), "success")
        return redirect(url_for(".show", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=None), (400 if form.errors else 200)


def _render_show(campaign: Campaign, code: int = 200):
    return render_template("campaigns/show.html", campaign=campaign, form=StatusForm(),
                           actions=state.allowed_actions(campaign.status),
                           action_labels=state.ACTION_LABELS, status_labels=state.STATUS_LABELS), code


@bp.route("/campaigns/<int:campaign_id>")
def show(campaign_id: int):
    return _render_show(_campaign_or_404(campaign_id))


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    form = _campaign_form(campaign)
    if not form.is_submitted():
        form.fill_from(campaign)
    elif form.validate() and _save(form, campaign):
        flash(_("Your changes were saved."), "success")
        return redirect(url_for(".show", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=campaign), (400 if form.errors else 200)


@bp.route("/campaigns/<int:campaign_id>/status", methods=["POST"])
def change_status(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.change_status(db.session, campaign, form.action.data)
    except state.TransitionError as err:
        db.session.rollback()
        flash(str(err.message), "error")
        return _render_show(_campaign_or_404(campaign_id), 409)
    db.session.commit()
    flash(_("The campaign is now %(status)s.", status=state.STATUS_LABELS[campaign.status]), "success")
    return redirect(url_for(".show", campaign_id=campaign_id))
