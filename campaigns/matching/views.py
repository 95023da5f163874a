"""Matching (配捐) pages. Staff (``/staff/matching``): sponsors, pledges and their status, usage,
forecast, the review of held matches; finance records sponsor payments; staff, finance and
auditors read the sponsor statement (page and CSV). Public: the match preview JSON of the
donate form, and the template helpers that show donors the banner and their gift's match.

Views parse a form, call one service of :mod:`campaigns.matching.services`, commit once, and
put a :class:`~campaigns.matching.state.MatchingError` back on the form (nothing written).
"""
import sqlalchemy as sa
from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect,
                   render_template, request, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from campaigns.forms import parse_amount
from campaigns.matching import models  # noqa: F401 - the tables must exist when the app is built
from campaigns.matching import services, state
from campaigns.matching.forms import (STAFF_ACTIONS, PaymentForm, PledgeForm, PledgeStatusForm,
                                      ReviewForm, SponsorForm)
from campaigns.matching.models import Match, MatchingPledge, Sponsor
from campaigns.matching.payments import amount_owed
from campaigns.models import Campaign
from core.access import AUDITOR, FINANCE, PUBLIC, STAFF, guard_blueprint, requires
from core.audit import record_audit
from core.auth import utcnow
from core.extensions import db, limiter
from core.i18n import money
from ledger.money import format_plain
from ledger.views import csv_response

bp = Blueprint("matching", __name__, url_prefix="/staff/matching")
guard_blueprint(bp, STAFF)
public_bp = Blueprint("matching_public", __name__)
guard_blueprint(public_bp, PUBLIC)
__all__ = ["bp", "public_bp"]

#: Who may read the pledges and statements; only staff change them, only finance records payments.
READERS = (STAFF, FINANCE, AUDITOR)


def _pledge_or_404(pledge_id: int) -> MatchingPledge:
    return db.session.get(MatchingPledge, pledge_id) or abort(404)


def _sponsor_or_404(sponsor_id: int) -> Sponsor:
    return db.session.get(Sponsor, sponsor_id) or abort(404)


def _refused(err: state.MatchingError, form=None) -> None:
    """Roll back and show the refusal next to its field, else as a message."""
    db.session.rollback()
    if form is not None and err.field and err.field in form:
        form[err.field].errors = list(form[err.field].errors) + [err.message]
    else:
        flash(str(err.message), "error")


@bp.context_processor
def labels() -> dict:
    return {"status_labels": state.STATUS_LABELS, "action_labels": state.ACTION_LABELS,
            "match_labels": state.MATCH_LABELS, "locale": str(get_locale())}


# -- pledges --------------------------------------------------------------------------------

@bp.route("/")
@requires(*READERS)
def index():
    pledges = db.session.scalars(sa.select(MatchingPledge).options(
        selectinload(MatchingPledge.sponsor), selectinload(MatchingPledge.campaigns))
        .order_by(MatchingPledge.priority, MatchingPledge.id)).all()
    held = len(services.held_matches(db.session))
    return render_template("matching/index.html", pledges=pledges, held=held)


def _pledge_form(form: PledgeForm | None = None) -> PledgeForm:
    sponsors = db.session.scalars(sa.select(Sponsor).order_by(Sponsor.name)).all()
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.id)).all()
    return (form or PledgeForm()).offer(sponsors, campaigns, str(get_locale()))


@bp.route("/pledges/new", methods=["GET", "POST"])
def pledge_new():
    form = _pledge_form()
    if form.validate_on_submit():
        try:
            pledge = services.create_pledge(db.session, _sponsor_or_404(form.sponsor.data),
                                            form.to_input(), current_user.email)
        except state.MatchingError as err:
            db.session.rollback()
            form.put_errors(err)
        else:
            db.session.commit()
            flash(_("Pledge #%(id)d was saved as a draft.", id=pledge.id), "success")
            return redirect(url_for(".pledge", pledge_id=pledge.id))
    return render_template("matching/pledge_form.html", form=form, pledge=None), (400 if form.errors else 200)


@bp.route("/pledges/<int:pledge_id>/edit", methods=["GET", "POST"])
def pledge_edit(pledge_id: int):
    pledge = _pledge_or_404(pledge_id)
    if pledge.status != state.DRAFT:
        flash(str(services.TERMS_LOCKED), "error")
        return _render_pledge(pledge, 409)
    form = _pledge_form()
    if not form.is_submitted():
        form.fill_from(pledge)
    elif form.validate():
        try:
            services.update_pledge(db.session, pledge, form.to_input(), current_user.email)
        except state.MatchingError as err:
            db.session.rollback()
            form.put_errors(err)
        else:
            db.session.commit()
            flash(_("Your changes were saved."), "success")
            return redirect(url_for(".pledge", pledge_id=pledge_id))
    return render_template("matching/pledge_form.html", form=form, pledge=pledge), (400 if form.errors else 200)


def _render_pledge(pledge: MatchingPledge, code: int = 200):
    return render_template(
        "matching/pledge.html", pledge=pledge, form=PledgeStatusForm(),
        actions=[a for a in state.allowed_actions(pledge.status) if a in STAFF_ACTIONS],
        statement=services.pledge_statement(db.session, pledge),
        forecast=services.matching_forecast(db.session, pledge, utcnow())), code


@bp.route("/pledges/<int:pledge_id>")
@requires(*READERS)
def pledge(pledge_id: int):
    return _render_pledge(_pledge_or_404(pledge_id))


@bp.route("/pledges/<int:pledge_id>/status", methods=["POST"])
def change_status(pledge_id: int):
    pledge, form = _pledge_or_404(pledge_id), PledgeStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.change_pledge_status(db.session, pledge, form.action.data, current_user.email)
    except state.MatchingError as err:
        _refused(err)
        return _render_pledge(_pledge_or_404(pledge_id), 409)
    db.session.commit()
    flash(_("The pledge is now %(status)s.", status=state.STATUS_LABELS[pledge.status]), "success")
    return redirect(url_for(".pledge", pledge_id=pledge_id))


# -- held matches ---------------------------------------------------------------------------

@bp.route("/review")
@requires(*READERS)
def review():
    return render_template("matching/review.html", matches=services.held_matches(db.session),
                           form=ReviewForm())


@bp.route("/matches/<int:match_id>/review", methods=["POST"])
def review_match(match_id: int):
    match, form = db.session.get(Match, match_id) or abort(404), ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    decide = services.release_match if form.decision.data == "release" else services.reject_match
    try:
        decide(db.session, match, current_user.email)
    except state.MatchingError as err:
        _refused(err)
        return redirect(url_for(".review"))
    db.session.commit()
    if match.status == state.MATCHED:
        flash(_("Match #%(id)d was released and booked.", id=match_id), "success")
    else:
        flash(_("Match #%(id)d was rejected; its amount went back to the pool.", id=match_id), "success")
    return redirect(url_for(".review"))


# -- sponsor statement and payments -----------------------------------------------------------

def _statement_csv(statement) -> Response:
    currency = statement.pledge.currency
    rows = [[m.created_at.date().isoformat(), str(state.MATCH_LABELS[m.status]), f"#{m.donation_id}",
             format_plain(m.gift_fen, currency), format_plain(m.net_fen, currency), ""]
            for m in statement.matches]
    rows += [[p.at.date().isoformat(), _("Payment"), p.reference, "", "", format_plain(p.amount_fen, currency)]
             for p in statement.payments]
    rows += [["", _("Total"), _("%(count)d gifts matched", count=statement.gifts_matched), "",
              format_plain(statement.matched_fen, currency), format_plain(statement.paid_fen, currency)],
             ["", _("Outstanding"), "", "", format_plain(statement.outstanding_fen, currency), ""]]
    header = [_("Date"), _("Kind"), _("Gift or reference"), _("Gift (yuan)"), _("Matched (yuan)"),
              _("Paid (yuan)")]
    return csv_response(f"pledge-{statement.pledge.id}-statement.csv", header, rows)


@bp.route("/pledges/<int:pledge_id>/statement")
@requires(*READERS)
def statement(pledge_id: int):
    found = services.pledge_statement(db.session, _pledge_or_404(pledge_id))
    if request.args.get("format") == "csv":
        return _statement_csv(found)
    return render_template("matching/statement.html", statement=found, pledge=found.pledge)


@bp.route("/pledges/<int:pledge_id>/payment", methods=["GET", "POST"])
@requires(FINANCE)
def payment(pledge_id: int):
    pledge, form = _pledge_or_404(pledge_id), PaymentForm()
    if form.validate_on_submit():
        try:
            services.record_sponsor_payment(db.session, pledge, form.amount.fen, form.day.data,
                                            form.reference.data, current_user.email)
            record_audit(db.session, current_user, "matching.sponsor_payment", pledge,
                         {"received": pledge.received_fen - form.amount.fen},
                         {"received": pledge.received_fen, "reference": form.reference.data})
        except state.MatchingError as err:
            _refused(err, form)
        else:
            db.session.commit()
            flash(_("The payment was recorded."), "success")
            return redirect(url_for(".statement", pledge_id=pledge_id))
    return render_template("matching/payment.html", pledge=pledge, form=form,
                           owed=max(0, amount_owed(db.session, pledge))), (400 if form.errors else 200)


# -- sponsors -------------------------------------------------------------------------------

@bp.route("/sponsors")
@requires(*READERS)
def sponsors():
    found = db.session.scalars(sa.select(Sponsor).order_by(Sponsor.name)).all()
    return render_template("matching/sponsors.html", sponsors=found)


@bp.route("/sponsors/new", methods=["GET", "POST"])
def sponsor_new():
    form = SponsorForm()
    if form.validate_on_submit():
        try:
            sponsor = services.create_sponsor(db.session, **form.to_input())
        except state.MatchingError as err:
            _refused(err, form)
        else:
            db.session.commit()
            flash(_("The sponsor %(name)s was saved.", name=sponsor.name), "success")
            return redirect(url_for(".sponsors"))
    return render_template("matching/sponsor_form.html", form=form, sponsor=None), (400 if form.errors else 200)


def _update_sponsor(sponsor: Sponsor, data: dict) -> None:
    # There is no update_sponsor service yet: the fields are plain contact data, no terms.
    for name, value in data.items():
        setattr(sponsor, name, value)
    db.session.flush()


@bp.route("/sponsors/<int:sponsor_id>/edit", methods=["GET", "POST"])
def sponsor_edit(sponsor_id: int):
    sponsor, form = _sponsor_or_404(sponsor_id), SponsorForm()
    if not form.is_submitted():
        form.fill_from(sponsor)
    elif form.validate():
        try:
            _update_sponsor(sponsor, form.to_input())
        except sa.exc.IntegrityError:
            db.session.rollback()
            form.name.errors = [_("A sponsor with this name already exists.")]
        else:
            db.session.commit()
            flash(_("Your changes were saved."), "success")
            return redirect(url_for(".sponsors"))
    return render_template("matching/sponsor_form.html", form=form, sponsor=sponsor), (400 if form.errors else 200)


def _logo_response(sponsor: Sponsor, cache: str) -> Response:
    if not sponsor.logo:
        abort(404)
    # Only PNG, JPEG or WebP by signature were stored; nosniff keeps browsers to that type.
    return Response(sponsor.logo, mimetype=sponsor.logo_type,
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": cache})


@bp.route("/sponsors/<int:sponsor_id>/logo")
@requires(*READERS)
def sponsor_logo(sponsor_id: int):
    return _logo_response(_sponsor_or_404(sponsor_id), "private, max-age=3600")


# -- what donors see --------------------------------------------------------------------------

def _preview_limit() -> str:
    return current_app.config.get("MATCH_PREVIEW_RATE_LIMIT", "60 per minute")


def gift_preview(campaign, designation, gift_fen: int) -> dict:
    """The match a gift would get now, as the donate form shows it (JSON and server-side)."""
    match = services.preview_match(db.session, campaign, designation, gift_fen)
    total = gift_fen + match
    text = _("With matching, your %(gift)s becomes %(total)s.",
             gift=money(gift_fen, campaign.currency), total=money(total, campaign.currency))
    return {"gift_fen": gift_fen, "match_fen": match, "total_fen": total,
            "currency": campaign.currency, "text": text if match else ""}


@public_bp.route("/c/<slug>/match-preview")
@limiter.limit(_preview_limit)
def match_preview(slug: str):
    campaign = db.session.scalar(sa.select(Campaign).filter_by(slug=slug, status="live"))
    if campaign is None:
        return jsonify(error="not_found", message=_("No such campaign.")), 404
    try:
        gift_fen = parse_amount(request.args.get("amount", ""), campaign.currency)
    except ValueError as err:
        return jsonify(error="amount", message=str(err)), 400
    wanted = request.args.get("designation", "")
    # None chosen yet: the form's first choice ("where most needed").
    designation = next((d for d in campaign.designations if str(d.id) == wanted or not wanted), None)
    if designation is None:
        return jsonify(error="designation", message=_("Please choose one of this drive's designations.")), 400
    return jsonify(gift_preview(campaign, designation, gift_fen))


@public_bp.route("/sponsors/<int:sponsor_id>/logo")
def public_sponsor_logo(sponsor_id: int):
    """The logo of a sponsor whose pledge has been public (gone live at least once)."""
    shown = sa.select(MatchingPledge.id).where(MatchingPledge.sponsor_id == sponsor_id,
                                               MatchingPledge.status != state.DRAFT)
    if db.session.scalar(shown.limit(1)) is None:
        abort(404)
    return _logo_response(_sponsor_or_404(sponsor_id), "public, max-age=3600")


def gift_matches(donation) -> list[Match]:
    """The booked matches of a gift, for its thank-you page and receipt."""
    return list(db.session.scalars(sa.select(Match).options(selectinload(Match.pledge))
                                   .where(Match.donation_id == donation.id, Match.status == state.MATCHED)
                                   .order_by(Match.id)))


@public_bp.app_context_processor
def donor_helpers() -> dict:
    return {"gift_matches": gift_matches, "gift_preview": gift_preview}
