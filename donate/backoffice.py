"""Back-office donation pages: the list (with CSV), a donation's page, and the refund form.

Staff, finance officers and auditors read; only finance officers refund. Donor names and
emails are shown to staff and finance only: auditors check the money, not the people.
A refund asks Stripe (through the gateway) and books the proportional reversal in the same
transaction; the ledger is asked first, in a savepoint, so that a refund the books would
refuse (a restricted fund that has already spent the gift) never reaches Stripe.
"""
import logging
import re
import uuid

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from campaigns.models import Campaign
from core.access import AUDITOR, FINANCE, STAFF, guard_blueprint, requires
from core.audit import record_audit
from core.extensions import db
from core.i18n import money
from donate import receipts, services, state
from donate.backoffice_forms import DonationFilterForm, RefundForm
from donate.models import Donation, DonationDispute, DonationRefund
from donate.services import DonationError
from donate.state import TransitionError
from donate.stripe_gateway import StripeGateway
from ledger.errors import InsufficientFunds, LedgerError
from ledger.money import format_plain
from ledger.views import csv_response, ledger_message, wants_csv

log = logging.getLogger(__name__)
bp = Blueprint("donations", __name__, url_prefix="/finance/donations")
guard_blueprint(bp, FINANCE, STAFF, AUDITOR)

PER_PAGE = 50
#: The roles that may see who gave (name and email).
DONOR_READERS = (STAFF, FINANCE)


# -- the refund operation -------------------------------------------------------------------

def start_refund(session, gateway, donation, amount_fen: int, by: str,
                 reason: str) -> DonationRefund:
    """Refund ``amount_fen`` of an online gift through Stripe and book it; flushes only.

    Raises :class:`DonationError` (amount, state, Stripe) or :class:`LedgerError` (the books
    refuse) — in the second case before Stripe is asked, unless the books changed meanwhile.
    """
    if not donation.stripe_payment_intent:
        raise DonationError(_l("This gift was not paid online: refund it by bank transfer "
                               "and record that in the books."))
    if state.can(donation.status, "refund_all") and 0 < amount_fen <= donation.net_fen:
        _try_booking(session, donation, amount_fen, by)
    try:
        refund = services.refund_donation(session, gateway, donation, amount_fen, by)
    except LedgerError:
        log.error("Stripe refunded donation %s but the books refused it", donation.id)
        raise
    # The reason is free text: a phone or ID number typed there must not reach the logs.
    log.info("refund %s of donation %s by %s: %s", refund.stripe_refund, donation.id, by,
             re.sub(r"[0-9]{6,}", "[number]", reason))
    return refund


def _try_booking(session, donation, amount_fen: int, by: str) -> None:
    """Book the refund in a savepoint and roll it back: the ledger's own checks (restricted
    funds, closed periods) speak now, while nothing has been refunded yet."""
    savepoint = session.begin_nested()
    try:
        services.book_refund(session, donation, f"check-{uuid.uuid4().hex}", amount_fen, by)
    finally:
        savepoint.rollback()


# -- helpers --------------------------------------------------------------------------------

def gateway() -> StripeGateway:
    return StripeGateway.from_config(current_app.config)


def shows_donor() -> bool:
    return current_user.has_any_role(DONOR_READERS)


def _locale() -> str:
    return str(get_locale())


def _donation_or_404(donation_id: int) -> Donation:
    return db.session.get(Donation, donation_id) or abort(404)


def _filtered(form: DonationFilterForm) -> sa.Select:
    query = sa.select(Donation)
    if form.campaign_id:
        query = query.where(Donation.campaign_id == form.campaign_id)
    if form.status_value:
        query = query.where(Donation.status == form.status_value)
    if form.text:
        text = form.text.lower()
        matches = [Donation.receipt_number.contains(text, autoescape=True)]
        if shows_donor():  # an auditor cannot probe for a donor's address
            matches.append(Donation.email.contains(text, autoescape=True))
        query = query.where(sa.or_(*matches))
    return query.order_by(Donation.created_at.desc(), Donation.id.desc())


def _csv(query):
    donor = shows_donor()
    header = [_("Donation"), _("Date (UTC)"), _("Drive"), _("Fund"), _("Status"), _("Amount"),
              _("Fee cover"), _("Fee"), _("Refunded"), _("Net"), _("Currency"),
              _("Receipt number"), _("Ledger entry")] + ([_("Donor"), _("Email")] if donor else [])
    rows = []
    for d in db.session.scalars(query):
        plain = [format_plain(v, d.currency) for v in
                 (d.amount_fen, d.fee_cover_fen, d.fee_fen, d.refunded_fen, d.net_fen)]
        rows.append([d.id, d.created_at.strftime("%Y-%m-%d %H:%M:%S"), d.campaign.slug,
                     d.designation.fund_code, d.status, *plain, d.currency,
                     d.receipt_number or "", d.entry_id or ""]
                    + ([d.donor_name, d.email] if donor else []))
    return csv_response("donations.csv", header, rows)


# -- pages ----------------------------------------------------------------------------------

@bp.route("/")
def index():
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.id.desc())).all()
    form = DonationFilterForm.with_choices(campaigns, _locale())
    form.validate()
    query = _filtered(form)
    if wants_csv():
        return _csv(query)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    return render_template("donations/index.html", form=form, donations=rows[:PER_PAGE],
                           page=page, has_next=len(rows) > PER_PAGE, total=total,
                           show_donor=shows_donor(), labels=state.STATUS_LABELS,
                           locale=_locale())


def _render_show(donation: Donation, form: RefundForm, code: int = 200,
                 error: str | None = None):
    refunds = db.session.scalars(sa.select(DonationRefund).filter_by(donation_id=donation.id)
                                 .order_by(DonationRefund.id)).all()
    disputes = db.session.scalars(sa.select(DonationDispute).filter_by(donation_id=donation.id)
                                  .order_by(DonationDispute.id)).all()
    receipt_code = (receipts.receipt_code(current_app.config["SECRET_KEY"], donation.receipt_number)
                    if donation.receipt_number else None)
    return render_template("donations/show.html", donation=donation, form=form, error=error,
                           refunds=refunds, disputes=disputes, receipt_code=receipt_code,
                           refundable=state.can(donation.status, "refund_all")
                           and bool(donation.stripe_payment_intent),
                           show_donor=shows_donor(), labels=state.STATUS_LABELS,
                           locale=_locale()), code


@bp.route("/<int:donation_id>")
def show(donation_id: int):
    donation = _donation_or_404(donation_id)
    form = RefundForm(amount=format_plain(donation.net_fen, donation.currency))
    return _render_show(donation, form)


@bp.route("/<int:donation_id>/refund", methods=["POST"])
@requires(FINANCE)
def refund(donation_id: int):
    donation = _donation_or_404(donation_id)
    form = RefundForm()
    form.currency = donation.currency
    if not form.validate_on_submit():
        return _render_show(donation, form, 400)
    try:
        before = {"status": donation.status, "refunded": donation.refunded_fen}
        done = start_refund(db.session, gateway(), donation, form.amount_fen,
                            current_user.email, form.reason.data.strip())
        record_audit(db.session, current_user, "donation.refund", donation, before,
                     {"status": donation.status, "refunded": donation.refunded_fen})
        db.session.commit()
    except (DonationError, TransitionError, LedgerError) as err:
        db.session.rollback()
        return _refused(donation_id, form, err)
    flash(_("Refunded %(amount)s (Stripe refund %(refund)s).",
            amount=money(done.amount_fen, donation.currency), refund=done.stripe_refund), "success")
    return redirect(url_for(".show", donation_id=donation_id))


def _refused(donation_id: int, form: RefundForm, err: Exception):
    """The donation's page again, with why nothing was refunded."""
    donation = _donation_or_404(donation_id)
    if isinstance(err, DonationError) and err.field == "amount":
        form.amount.errors = list(form.amount.errors) + [str(err.message)]
        return _render_show(donation, form, 400)
    if isinstance(err, InsufficientFunds):
        message = _("The restricted fund %(fund)s has already spent this money: the refund "
                    "would take it %(shortfall)s below zero. Nothing was refunded; the refund "
                    "must be paid from elsewhere (another fund), not from this gift's fund.",
                    fund=err.fund_code, shortfall=money(err.shortfall, err.currency))
    elif isinstance(err, LedgerError):
        message = ledger_message(err)
    else:
        message = _("Nothing was refunded: %(reason)s", reason=str(err.message))
    return _render_show(donation, form, 409, message)
