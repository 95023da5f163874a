"""The public wish board (/c/<slug>/wishes) and "I'll make this wish come true".

Pressing the button reserves the wish for this browser (a random key in the session) and
leads to the reservation's page; its form creates the gift — exactly the wish's price, to the
drive's "where most needed" designation — and shows the giving flow's payment step. The
emails for donors whose late gift was redirected, or whose wish was closed, are queued here
when ``campaigns.wishes`` signals them.
"""
import logging
import secrets

import click
import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import Email, Length, Optional

from campaigns.homes.households import streets
from campaigns.models import Campaign
from campaigns.homes.goods import parse_price
from campaigns.homes.state import HomesError
from campaigns.wishes import board, pooled, services, state
from campaigns.wishes.cli import wishes_cli
from campaigns.wishes.demo import seed_pooled_wish, seed_wishes
from campaigns.wishes.models import Wish, WishReservation
from core.access import PUBLIC, STAFF, guard_blueprint, requires
from core.auth import utcnow
from core.extensions import db, limiter
from core.i18n import money
from donate import services as giving_services
from donate import state as donate_state
from donate.giving import gateway
from donate.models import Donation
from donate.outbox import queue_message
from donate.stripe_gateway import GatewayError
from ledger.errors import LedgerError

log = logging.getLogger(__name__)

bp = Blueprint("wishes", __name__)
guard_blueprint(bp, PUBLIC)
DONOR_KEY = "wish_donor"
TOO_LONG = _l("At most %(max)d characters.")


class WishGiftForm(FlaskForm):
    donor_name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=60, message=TOO_LONG)])
    email = EmailField(_l("Email, for the receipt and news of the wish"), validators=[
        Optional(), Length(max=254, message=TOO_LONG), Email(_l("Enter an email address like name@example.org."))])
    message = StringField(_l("A message for the child (optional)"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    anonymous = BooleanField(_l("Give anonymously"))


def _ip_limit() -> str:
    return current_app.config.get("DONATE_RATE_LIMIT_IP", "20 per minute;200 per hour")


def _donor_key() -> str:
    if DONOR_KEY not in session:
        session[DONOR_KEY] = secrets.token_urlsafe(16)
    return session[DONOR_KEY]


def _wish_drive_or_404(slug: str) -> Campaign:
    found = db.session.scalar(sa.select(Campaign).filter_by(slug=slug, kind="wish"))
    if found is None or not found.is_public:
        abort(404)
    return found


def _render_board(campaign, message=None, similar=(), code=200):
    flt = board.BoardFilter.from_args(request.args)
    return render_template(
        "wishes/board.html", campaign=campaign, flt=flt, message=message, similar=similar,
        wishes=board.board_wishes(db.session, campaign.id, flt), streets=streets(),
        counts=services.wish_counts(db.session, campaign.id), public_status=board.public_status,
        categories=board.CATEGORY_LABELS, bands=board.BAND_LABELS, parts_of=_parts_of,
        status_labels=state.STATUS_LABELS, locale=str(get_locale())), code


def _parts_of(wishes):
    return pooled.parts_of(db.session, wishes, utcnow())


@bp.route("/c/<slug>/wishes")
def board_page(slug: str):
    return _render_board(_wish_drive_or_404(slug))


@bp.route("/c/<slug>/wishes/<int:wish_id>/reserve", methods=["POST"])
@limiter.limit(_ip_limit)
def reserve(slug: str, wish_id: int):
    campaign = _wish_drive_or_404(slug)
    wish = db.session.get(Wish, wish_id)
    if wish is None or wish.campaign_id != campaign.id or wish.status not in board.PUBLIC_STATUSES:
        abort(404)
    try:
        reservation = services.reserve_wish(db.session, wish, _donor_key(), amount_fen=_part_fen(wish))
    except state.WishTaken as err:
        db.session.rollback()
        return _render_board(campaign, err.message, err.similar, 409)
    except state.WishError as err:
        db.session.rollback()
        return _render_board(campaign, err.message, code=400 if err.field == "amount" else 409)
    db.session.commit()
    return redirect(url_for(".reservation", token=reservation.token))


def _part_fen(wish) -> int | None:
    """The part of a pooled wish the donor typed (yuan); None when missing or unreadable,
    which ``reserve_wish`` refuses with the smallest part allowed."""
    if not wish.pooled:
        return None
    try:
        return parse_price(request.form.get("amount", ""), "amount")
    except HomesError:
        return None


def _own_reservation(token: str):
    try:
        return services.reservation_for(db.session, token, session.get(DONOR_KEY, ""), with_gift=True)
    except state.WishError as err:
        return err


def _resume_payment(reservation):
    """The gift was started already: its card form again while unpaid, else its thank-you page."""
    donation = db.session.get(Donation, reservation.donation_id)
    if donation.status not in (donate_state.PENDING, donate_state.FAILED):
        return redirect(url_for("giving.thanks", token=donation.token))
    try:
        pi = gateway().retrieve_payment_intent(donation.stripe_payment_intent)
    except GatewayError as err:
        return render_template("wishes/ended.html", message=err.message), 502
    return render_template("giving/pay.html", campaign=donation.campaign, donation=donation,
                           client_secret=pi["client_secret"])


@bp.route("/wishes/r/<token>", methods=["GET", "POST"])
def reservation(token: str):
    found = _own_reservation(token)
    if isinstance(found, state.WishError):
        return render_template("wishes/ended.html", message=found.message), 409
    if found.donation_id is not None:
        return _resume_payment(found)
    form = WishGiftForm()
    if form.validate_on_submit():
        page = _start_wish_payment(found, form)
        if page is not None:
            return page
    return render_template("wishes/reservation.html", reservation=found, wish=found.wish, form=form,
                           categories=board.CATEGORY_LABELS, streets=streets()), (400 if form.errors else 200)


def _start_wish_payment(reservation, form):
    """The gift for exactly the wish's price, linked to the reservation; the payment page."""
    wish = reservation.wish
    campaign = wish.campaign
    try:
        donation, pi = giving_services.create_donation(
            db.session, gateway(), campaign=campaign,
            designation=campaign.designation_for(campaign.fund_code), gift_fen=reservation.amount_fen,
            cover_fee=False, donor_name=form.donor_name.data or "", anonymous=form.anonymous.data,
            message=form.message.data or "", email=form.email.data or "",
            client_ip=request.remote_addr or "")
        services.attach_donation(db.session, reservation, donation.id)
    except (giving_services.DonationError, GatewayError) as err:
        db.session.rollback()
        form.email.errors = list(form.email.errors) + [str(err.message)]
        return None
    db.session.commit()
    return render_template("giving/pay.html", campaign=campaign, donation=donation,
                           client_secret=pi["client_secret"])


# -- what donors are told -------------------------------------------------------------------

def wish_notice(donation_id: int) -> dict | None:
    """For the thank-you page and the receipt: the wish this gift was for, and its fate."""
    found = board.reservation_of_donation(db.session, donation_id)
    if found is None:
        return None
    return {"reservation": found, "wish": found.wish, "categories": board.CATEGORY_LABELS,
            "status_label": state.STATUS_LABELS[found.wish.status]}


def _thanks_url(donation) -> str:
    # Built by hand, as the receipt email is: the sweep and the CLI run without a request.
    base = current_app.config.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/donations/{donation.token}/thanks"


def refund_late_gift(sess, gw, reservation, donation, by: str) -> bool:
    """Refund a late gift in full through Stripe; True when done.

    Runs inside the booking's transaction, in a savepoint: a refused or failed refund rolls
    back only itself and leaves the gift "refund_requested" on the staff page, to retry. Should
    the booking itself roll back after Stripe refunded, the next booking of the same payment
    finds the charge refunded, Stripe refuses a second refund, and the gift waits for staff.
    """
    if not donation.stripe_payment_intent:
        return False  # a bank transfer is paid back by hand
    try:
        with sess.begin_nested():
            if donation.net_fen > 0:  # 0: refunded meanwhile (a charge.refunded webhook)
                giving_services.refund_donation(sess, gw, donation, donation.net_fen, by)
            services.mark_late_gift_refunded(sess, reservation, by)
    except (giving_services.DonationError, state.WishError, LedgerError) as err:
        log.warning("late gift %s not refunded: %s", donation.id, err)
        return False
    return True


@services.late_gift_redirected.connect
def queue_late_gift_email(sess, reservation, wish, donation, **_kw):
    refund = reservation.status == state.REFUND_REQUESTED
    if refund and refund_late_gift(sess, gateway(), reservation, donation, "system:wish-late"):
        ending = _("We have refunded your gift of %(amount)s in full; it returns to your card "
                   "within a few days.", amount=_money(donation))
    elif refund:
        ending = _("We will refund your gift in full.")
    else:
        ending = _("Your gift stays in the drive's fund and will make other wishes come true.")
    body = _("Thank you for your gift of %(amount)s for %(item)s (%(who)s). Someone else funded "
             "this wish just before your payment arrived.", amount=_money(donation), item=wish.item,
             who=wish.label) + "\n\n" + ending
    body += "\n\n" + _thanks_url(donation)
    queue_message(sess, donation.email, _("About your gift for a micro-wish"), body,
                  dedup_key=f"wish-late:{reservation.id}")


@services.wish_closed.connect
def queue_closed_email(sess, wish, **_kw):
    """Tell the donor — or every donor of a pooled wish — that the wish came true."""
    for donation in sess.scalars(sa.select(Donation).join(
            WishReservation, WishReservation.donation_id == Donation.id).where(
            WishReservation.wish_id == wish.id, WishReservation.status == state.RES_FUNDED)):
        body = _("The wish you funded has come true: %(item)s reached %(who)s.", item=wish.item,
                 who=wish.label)
        if wish.thank_you_note:
            body += "\n\n" + wish.thank_you_note
        body += "\n\n" + _thanks_url(donation)
        key = f"wish-closed:{wish.id}" if not wish.pooled else f"wish-closed:{wish.id}:{donation.id}"
        queue_message(sess, donation.email, _("Your micro-wish has come true"), body, dedup_key=key)


@bp.route("/staff/wishes/late-gifts/<int:reservation_id>/refund", methods=["POST"])
@requires(STAFF)
def retry_refund(reservation_id: int):
    """Staff retry the refund of a late gift that could not be refunded automatically."""
    found = db.session.get(WishReservation, reservation_id)
    if found is None or found.status != state.REFUND_REQUESTED:
        abort(404)
    donation = db.session.get(Donation, found.donation_id)
    if refund_late_gift(db.session, gateway(), found, donation, current_user.email):
        db.session.commit()
        flash(_("Gift #%(id)s was refunded in full.", id=donation.id), "success")
    else:
        db.session.rollback()
        flash(_("Stripe did not refund gift #%(id)s; it stays on the list to retry.", id=donation.id), "error")
    return redirect(url_for("wishes_staff.drive", slug=found.wish.campaign.slug))


def _money(donation) -> str:
    return money(donation.amount_fen, donation.currency)


@bp.record_once
def _register_globals(setup_state) -> None:
    setup_state.app.jinja_env.globals["wish_notice"] = wish_notice


# -- demo -----------------------------------------------------------------------------------

def _demo_gift(sess, reservation) -> None:
    """Book a demo bank-transfer gift for ``reservation`` through the real booking path."""
    ref = f"demo-wish:{reservation.wish_id}" + (f":part:{reservation.id}" if reservation.pooled else "")
    if sess.scalar(sa.select(Donation.id).filter_by(source_ref=ref)):
        return
    campaign = reservation.wish.campaign
    donation = Donation(campaign=campaign, designation=campaign.designation_for(campaign.fund_code),
                        amount_fen=reservation.amount_fen, currency=campaign.currency,
                        source_ref=ref, channel="bank_transfer", donor_name="爱心人士（演示）")
    sess.add(donation)
    sess.flush()
    services.attach_donation(sess, reservation, donation.id)
    giving_services.book_donation_succeeded(sess, donation)


def seed_wish_gifts(sess) -> int:
    """The demo wishes in every status, funded ones paid by demo gifts; idempotent."""
    return seed_wishes(sess, pay=_demo_gift)


def seed_pooled_demo_wish(sess):
    """The demo pooled wish with two parts paid by demo gifts; idempotent (call after
    :func:`seed_wish_gifts`)."""
    return seed_pooled_wish(sess, pay=_demo_gift)


@wishes_cli.command("demo")
def demo_command():
    """Seed the demo wishes in every status; the funded ones are paid by demo gifts."""
    count = seed_wish_gifts(db.session)
    db.session.commit()
    click.echo(f"{count} demo wish(es) ready")
