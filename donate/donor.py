"""The donor's own pages, without a password: sign in by an emailed link, see every gift with
its receipt and what it became, manage monthly plans and preferences, merge a second email.

Public blueprint (``/donor``); the pages behind sign-in check the donor session here: a list of
proven emails and an expiry (``DONOR_SESSION_MINUTES``, default 60) in the signed cookie.
Sign-in requests are rate-limited (``DONOR_RATE_LIMIT_IP``, ``DONOR_RATE_LIMIT_EMAIL``).
"""
import logging
import time

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, session, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _

from core.access import PUBLIC, guard_blueprint
from core.extensions import db, limiter
from core.i18n import money
from donate import donor_auth, donor_services, receipts, recurring, recurring_changes
from donate.donor_forms import AmountForm, ConfirmForm, DesignationForm, EmailForm, PreferencesForm
from donate.giving import gateway
from donate.models import Donation
from donate.recurring_models import PlanTransitionError, RecurringPlan
from donate.services import DonationError
from donate.stripe_gateway import GatewayError
from donate.transparency import trace_gift

log = logging.getLogger(__name__)
bp = Blueprint("donor", __name__, url_prefix="/donor")
guard_blueprint(bp, PUBLIC)

#: What a plan action may raise; each has a ``message`` safe to show the donor.
REFUSALS = (DonationError, GatewayError, PlanTransitionError, donor_auth.LinkError)


# -- the donor session ----------------------------------------------------------------------

def sign_in_session(emails: list[str]) -> None:
    minutes = int(current_app.config.get("DONOR_SESSION_MINUTES", 60))
    session["donor"] = {"emails": emails, "until": int(time.time()) + 60 * minutes}


def signed_in_emails() -> list[str] | None:
    data = session.get("donor") or {}
    if not data.get("emails") or int(data.get("until", 0)) < time.time():
        session.pop("donor", None)
        return None
    return list(data["emails"])


def _emails_or_redirect():
    emails = signed_in_emails()
    if emails is None:
        abort(redirect(url_for("donor.sign_in")))
    return emails


def _ip_limit() -> str:
    return current_app.config.get("DONOR_RATE_LIMIT_IP", "10 per minute;50 per hour")


def _email_limit() -> str:
    return current_app.config.get("DONOR_RATE_LIMIT_EMAIL", "3 per 10 minutes;10 per day")


def _email_key() -> str:
    return "donor-email:" + donor_auth.normalise_email(request.form.get("email", ""))


# -- signing in -----------------------------------------------------------------------------

@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
@limiter.limit(_email_limit, key_func=_email_key, methods=["POST"])
def sign_in():
    form = EmailForm()
    if form.validate_on_submit():
        # The same page whether or not the email has given: it never says which.
        donor_auth.request_sign_in(db.session, form.email.data)
        db.session.commit()
        return render_template("donor/link_sent.html", email=form.email.data)
    return render_template("donor/sign_in.html", form=form), (400 if form.errors else 200)


@bp.route("/sign-in/<token>", methods=["GET", "POST"])
def use_link(token):
    """GET shows a button (mail scanners open links; only a person's click spends it)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("donor/use_link.html", form=form)
    try:
        link = donor_auth.use_link(db.session, token)
    except donor_auth.LinkError as err:
        db.session.rollback()
        return render_template("donor/link_refused.html", message=err.message), 400
    db.session.commit()
    # A merge link's use recorded the pair, so both emails come back together.
    sign_in_session(donor_auth.linked_emails(db.session, link.email))
    return redirect(url_for("donor.home"))


@bp.route("/card/<token>")
def card_link(token):
    """The link in a failed-renewal email: signs in that email and opens the card form."""
    try:
        plan_id, email = donor_auth.read_card_link(token)
    except donor_auth.LinkError as err:
        return render_template("donor/link_refused.html", message=err.message), 400
    emails = donor_auth.linked_emails(db.session, email)
    donor_services.plan_for_donor(db.session, emails, plan_id)
    sign_in_session(emails)
    return redirect(url_for("donor.plan_card", plan_id=plan_id))


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    session.pop("donor", None)
    return redirect(url_for("donor.sign_in"))


# -- the page -------------------------------------------------------------------------------

def _gift_rows(gifts) -> list[dict]:
    secret = current_app.config["SECRET_KEY"]
    return [{"gift": g, "code": receipts.receipt_code(secret, g.receipt_number),
             "trace": trace_gift(db.session, g)} for g in gifts]


@bp.route("/")
def home():
    return _render_home(_emails_or_redirect())


def _render_home(emails: list[str], status: int = 200, **forms):
    """The donor page; ``forms`` puts back a form that failed, with its errors."""
    gifts = donor_services.donor_gifts(db.session, emails)
    pref = donor_services.donor_preference(db.session, emails)
    return render_template(
        "donor/home.html", emails=emails, rows=_gift_rows(gifts), locale=str(get_locale()),
        plans=donor_services.donor_plans(db.session, emails), confirm=ConfirmForm(),
        prefs=PreferencesForm(obj=pref), merge=forms.get("merge") or EmailForm(formdata=None),
        total_by_currency=_totals(gifts)), status


def _refused(emails: list[str], message, **forms):
    """Bad input or a change the services refused: nothing written, the page with why."""
    db.session.rollback()
    flash(str(message), "error")
    return _render_home(emails, 400, **forms)


def _totals(gifts) -> dict[str, int]:
    out: dict[str, int] = {}
    for g in gifts:
        out[g.currency] = out.get(g.currency, 0) + g.net_fen
    return out


@bp.route("/preferences", methods=["POST"])
def preferences():
    emails, form = _emails_or_redirect(), PreferencesForm()
    if form.validate_on_submit():
        donor_services.save_preferences(db.session, emails, updates=form.updates.data,
                                        wish_notes=form.wish_notes.data)
        db.session.commit()
        flash(_("Your preferences are saved."), "success")
    return redirect(url_for("donor.home"))


@bp.route("/merge", methods=["POST"])
@limiter.limit(_ip_limit)
def merge():
    """Send a link to a second email; its gifts join this page only once that link is used."""
    emails, form = _emails_or_redirect(), EmailForm()
    if not form.validate_on_submit():
        return _refused(emails, " ".join(str(e) for e in form.email.errors), merge=form)
    try:
        donor_auth.request_merge(db.session, emails, form.email.data)
    except donor_auth.LinkError as err:
        return _refused(emails, err.message, merge=form)
    db.session.commit()
    flash(_("We sent a link to %(email)s. Open it to show both emails' gifts together.",
            email=form.email.data), "success")
    return redirect(url_for("donor.home"))


# -- monthly plans --------------------------------------------------------------------------

def _change_plan(emails, change, *args, done):
    """Run one plan change against Stripe; commit and say ``done()``, or show why not."""
    try:
        change(db.session, gateway(), *args)
    except REFUSALS as err:
        return _refused(emails, err.message)
    db.session.commit()
    flash(done(), "success")
    return redirect(url_for("donor.home"))


#: The plan changes that need no input but the donor's click.
PLAN_ACTIONS = {"pause": recurring.pause_plan, "resume": recurring_changes.resume_plan,
                "cancel": recurring_changes.cancel_plan}


@bp.route("/plans/<int:plan_id>/pause", methods=["POST"], defaults={"action": "pause"}, endpoint="plan_pause")
@bp.route("/plans/<int:plan_id>/resume", methods=["POST"], defaults={"action": "resume"}, endpoint="plan_resume")
@bp.route("/plans/<int:plan_id>/cancel", methods=["POST"], defaults={"action": "cancel"}, endpoint="plan_cancel")
def plan_action(plan_id, action):
    emails = _emails_or_redirect()
    plan = donor_services.plan_for_donor(db.session, emails, plan_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _change_plan(emails, PLAN_ACTIONS[action], plan, done=lambda: _(
        "Your monthly gift is now: %(status)s.", status=plan.status_label))


@bp.route("/plans/<int:plan_id>/amount", methods=["POST"])
def plan_amount(plan_id):
    emails = _emails_or_redirect()
    plan = donor_services.plan_for_donor(db.session, emails, plan_id)
    form = AmountForm()
    form.currency = plan.currency
    if not form.validate_on_submit():
        return _refused(emails, " ".join(str(e) for e in form.amount.errors))
    return _change_plan(emails, recurring_changes.change_plan_amount, plan, form.gift_fen, done=lambda: _(
        "From the next month on you give %(amount)s.", amount=money(plan.amount_fen, plan.currency)))


@bp.route("/plans/<int:plan_id>/designation", methods=["POST"])
def plan_designation(plan_id):
    emails, locale = _emails_or_redirect(), str(get_locale())
    plan = donor_services.plan_for_donor(db.session, emails, plan_id)
    form = DesignationForm()
    form.designation.choices = [(str(d.id), d.label(locale)) for d in plan.campaign.designations]
    if not form.validate_on_submit():
        return _refused(emails, " ".join(str(e) for e in form.designation.errors))
    chosen = next(d for d in plan.campaign.designations if str(d.id) == form.designation.data)
    return _change_plan(emails, recurring_changes.change_plan_designation, plan, chosen, done=lambda: _(
        "Your next monthly gifts go to %(label)s.", label=chosen.label(locale)))


@bp.route("/plans/<int:plan_id>/card")
def plan_card(plan_id):
    plan = donor_services.plan_for_donor(db.session, _emails_or_redirect(), plan_id)
    return render_template("donor/card.html", plan=plan, locale=str(get_locale()),
                           confirm_url=url_for("donor.plan_card_token", plan_id=plan.id),
                           done_url=url_for("donor.home"))


@bp.route("/plans/<int:plan_id>/card", methods=["POST"])
@limiter.limit(_ip_limit)
def plan_card_token(plan_id):
    """The new card as a Stripe.js token (JSON, like the one-off payment step)."""
    emails = signed_in_emails()
    if emails is None:
        # Not 401: that means a staff login here; the donor signs in again by email.
        return jsonify(error=_("Your sign-in has expired. Please sign in again.")), 400
    plan = donor_services.plan_for_donor(db.session, emails, plan_id)
    try:
        status = recurring_changes.update_plan_card(db.session, gateway(), plan,
                                                    (request.form.get("card_token") or "")[:255])
        db.session.commit()
    except REFUSALS as err:
        db.session.rollback()
        return jsonify(error=str(err.message)), 402
    return jsonify(status=status, next=url_for("donor.home"))


# -- starting a monthly gift (after the donate form chose "monthly") ------------------------

def _plan_by_token_or_404(token: str) -> RecurringPlan:
    return db.session.scalar(sa.select(RecurringPlan).filter_by(token=token)) or abort(404)


@bp.route("/monthly/<token>/card", methods=["POST"])
@limiter.limit(_ip_limit)
def monthly_card(token):
    plan = _plan_by_token_or_404(token)
    try:
        status = recurring.start_plan(db.session, gateway(), plan,
                                      (request.form.get("card_token") or "")[:255])
        db.session.commit()
    except REFUSALS as err:
        db.session.rollback()
        if isinstance(err, GatewayError):
            recurring.record_start_declined(db.session, plan)
            db.session.commit()
        return jsonify(error=str(err.message)), 402
    return jsonify(status=status, next=url_for("donor.monthly_thanks", token=plan.token))


@bp.route("/monthly/<token>")
def monthly_thanks(token):
    plan = _plan_by_token_or_404(token)
    first = db.session.scalar(sa.select(Donation).filter_by(plan_id=plan.id).order_by(Donation.id))
    code = (receipts.receipt_code(current_app.config["SECRET_KEY"], first.receipt_number)
            if first is not None and first.receipt_number else None)
    return render_template("donor/monthly_thanks.html", plan=plan, first=first, code=code,
                           locale=str(get_locale()))
