"""The giving flow: donate form, PaymentIntent, thank-you page, receipts, Stripe webhook.

Public routes. Creating a PaymentIntent is rate-limited per address and per email, and an
address with too many declined payments is locked out for a while (card-testing defence);
the limits are ``DONATE_RATE_LIMIT_IP``, ``DONATE_RATE_LIMIT_EMAIL``,
``DONATE_FAILED_PAYMENT_LIMIT`` and ``DONATE_FAILED_PAYMENT_WINDOW_MINUTES``.
"""
import logging
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from campaigns.models import Campaign
from core.access import PUBLIC, guard_blueprint
from core.extensions import csrf, db, limiter
from core.retry import run_in_transaction
from donate import inbox, receipts, recurring, services, state
from donate.forms import MONTHLY, DonateForm, VerifyReceiptForm, preset_amounts
from donate.models import Donation
from donate.stripe_gateway import GatewayError, SignatureError, StripeGateway
from donate.teams import credit_team
from ledger.errors import LedgerError

log = logging.getLogger(__name__)
bp = Blueprint("giving", __name__)
guard_blueprint(bp, PUBLIC)

#: Campaign statuses whose donate page exists (a draft has no public page at all).
VISIBLE = ("live", "paused", "closed")


def gateway() -> StripeGateway:
    return StripeGateway.from_config(current_app.config)


def _ip_limit() -> str:
    return current_app.config.get("DONATE_RATE_LIMIT_IP", "20 per minute;200 per hour")


def _email_limit() -> str:
    return current_app.config.get("DONATE_RATE_LIMIT_EMAIL", "5 per minute;30 per hour")


def _email_key() -> str:
    return "email:" + (request.form.get("email") or "").strip().lower()


def _log_breach(limit) -> None:
    log.warning("card-testing defence: rate limit %s hit by %s", limit.limit, request.remote_addr)


def _campaign_or_404(slug: str) -> Campaign:
    campaign = db.session.scalar(sa.select(Campaign).filter_by(slug=slug))
    if campaign is None or campaign.status not in VISIBLE:
        abort(404)
    return campaign


def _page_context(campaign, form) -> dict:
    bps, fixed = _fee_settings()
    return dict(campaign=campaign, form=form, presets=preset_amounts(campaign),
                locale=str(get_locale()), fee_bps=bps, fee_fixed=fixed,
                fee_rate=str(Decimal(bps).scaleb(-2)),
                fee_example=services.fee_cover_for(10000, bps, fixed))


def _fee_settings() -> tuple[int, int]:
    cfg = current_app.config
    return int(cfg.get("STRIPE_FEE_BPS", 60)), int(cfg.get("STRIPE_FEE_FIXED_FEN", 0))


@bp.route("/c/<slug>/donate", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"], on_breach=_log_breach)
@limiter.limit(_email_limit, key_func=_email_key, methods=["POST"], on_breach=_log_breach,
               exempt_when=lambda: not (request.form.get("email") or "").strip())
def donate(slug):
    campaign = _campaign_or_404(slug)
    if campaign.status != "live":
        return render_template("giving/closed.html", campaign=campaign), (
            409 if request.method == "POST" else 200)
    form = DonateForm.for_campaign(campaign, str(get_locale()))
    if form.validate_on_submit():
        if form.website.data:
            log.warning("card-testing defence: honeypot filled from %s", request.remote_addr)
            abort(400)
        # -- monthly giving: the same form, a plan instead of a PaymentIntent --
        start = _start_monthly if form.frequency.data == MONTHLY else _start_payment
        result = start(campaign, form)
        if result is not None:
            return result
    return render_template("giving/donate.html", **_page_context(campaign, form)), (
        400 if form.errors else 200)


def _start_payment(campaign, form):
    """Create the donation and its PaymentIntent; the payment page, or None with form errors."""
    designation = next((d for d in campaign.designations if str(d.id) == form.designation.data), None)
    try:
        donation, pi = services.create_donation(
            db.session, gateway(), campaign=campaign, designation=designation,
            gift_fen=form.gift_fen, cover_fee=form.cover_fee.data,
            donor_name=form.donor_name.data or "", anonymous=form.anonymous.data,
            message=form.message.data or "", email=form.email.data or "",
            client_ip=request.remote_addr or "")
        credit_team(db.session, donation, request.form.get("team"))  # -- teams: the soft credit --
    except (services.DonationError, GatewayError) as err:
        db.session.rollback()
        field = getattr(form, getattr(err, "field", None) or "custom_amount")
        field.errors = list(field.errors) + [str(err.message)]
        return None
    db.session.commit()
    return render_template("giving/pay.html", campaign=campaign, donation=donation,
                           client_secret=pi["client_secret"])


# -- monthly giving (donate/recurring.py) --

def _start_monthly(campaign, form):
    """Create a plan waiting for the card; the card page, or None with form errors."""
    designation = next((d for d in campaign.designations if str(d.id) == form.designation.data), None)
    try:
        plan = recurring.create_plan(
            db.session, campaign=campaign, designation=designation, gift_fen=form.gift_fen,
            cover_fee=form.cover_fee.data, email=form.email.data or "",
            donor_name=form.donor_name.data or "", anonymous=form.anonymous.data,
            client_ip=request.remote_addr or "")
    except services.DonationError as err:
        db.session.rollback()
        field = getattr(form, err.field or "custom_amount")
        field.errors = list(field.errors) + [str(err.message)]
        return None
    db.session.commit()
    return render_template("donor/card.html", plan=plan, locale=str(get_locale()),
                           confirm_url=url_for("donor.monthly_card", token=plan.token),
                           done_url=url_for("donor.monthly_thanks", token=plan.token))


def _donation_by_token_or_404(token: str) -> Donation:
    donation = db.session.scalar(sa.select(Donation).filter_by(token=token))
    if donation is None:
        abort(404)
    return donation


@bp.route("/donations/<token>/card", methods=["POST"])
@limiter.limit(_ip_limit, on_breach=_log_breach)
def pay(token):
    """The payment step's card, as a Stripe.js token: confirm server-side, answer JSON."""
    donation = _donation_by_token_or_404(token)
    try:
        status = services.pay_donation(db.session, gateway(), donation,
                                       (request.form.get("card_token") or "")[:255])
        db.session.commit()
    except (services.DonationError, GatewayError) as err:
        db.session.rollback()
        return jsonify(error=str(err.message)), 402
    return jsonify(status=status, client_secret=_client_secret(donation, status),
                   next=url_for("giving.thanks", token=donation.token))


def _client_secret(donation, status: str) -> str | None:
    """Only for 3-D Secure: Stripe.js needs the secret to finish the authentication."""
    if status != "requires_action":
        return None
    return gateway().retrieve_payment_intent(donation.stripe_payment_intent)["client_secret"]


@bp.route("/donations/<token>/thanks")
def thanks(token):
    donation = _donation_by_token_or_404(token)
    if donation.status in (state.PENDING, state.FAILED):
        try:
            run_in_transaction(db.session, lambda: services.sync_donation(db.session, gateway(), donation),
                               attempts=3)
        except (GatewayError, LedgerError, IntegrityError, OperationalError) as err:
            db.session.rollback()  # the webhook or the sweep will book it
            log.info("thank-you page could not sync donation %s: %s", donation.id, err)
    code = (receipts.receipt_code(current_app.config["SECRET_KEY"], donation.receipt_number)
            if donation.receipt_number else None)
    return render_template("giving/thanks.html", donation=donation, code=code,
                           status_label=state.STATUS_LABELS[donation.status],
                           locale=str(get_locale()))


@bp.route("/receipts/<number>")
def receipt(number):
    if not receipts.check_receipt_code(current_app.config["SECRET_KEY"], number,
                                       request.args.get("code", "")):
        abort(404)
    donation = db.session.scalar(sa.select(Donation).filter_by(receipt_number=number))
    if donation is None:
        abort(404)
    return render_template("giving/receipt.html", donation=donation,
                           code=request.args.get("code", "").upper(),
                           masked=receipts.mask_name(donation.donor_name))


@bp.route("/receipts/verify")
def verify_receipt():
    form = VerifyReceiptForm(request.args)
    found, asked = None, bool(form.number.data or form.code.data)
    number = (form.number.data or "").strip()
    if asked and form.validate() and receipts.check_receipt_code(
            current_app.config["SECRET_KEY"], number, form.code.data):
        found = db.session.scalar(sa.select(Donation).filter_by(receipt_number=number))
    if asked and found is None:
        form.code.errors = [_("This receipt number and verification code do not match "
                              "any receipt.")]
    return render_template("giving/verify.html", form=form, donation=found,
                           masked=receipts.mask_name(found.donor_name) if found else "",
                           locale=str(get_locale())), (404 if asked and not found else 200)


@bp.route("/stripe/webhook", methods=["POST"])
def stripe_webhook():
    try:
        event = StripeGateway.construct_event(
            request.get_data(), request.headers.get("Stripe-Signature"),
            current_app.config["STRIPE_WEBHOOK_SECRET"])
    except SignatureError as err:
        log.warning("stripe webhook refused from %s: %s", request.remote_addr, err.code)
        return jsonify(error=err.code), 400
    # Stored (committed) before it is booked: from then on the inbox owns the retry.
    outcome = inbox.receive_event(db.session, gateway(), event)
    return jsonify(received=True, outcome=outcome)


csrf.exempt(stripe_webhook)
