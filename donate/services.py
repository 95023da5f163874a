"""Giving operations: create a donation, book it, refund it, dispute it, sweep Stripe.

Callable without HTTP (views, webhooks, CLI, tests). They flush and never commit: the caller
commits once, so a gift's state, its ledger entry, its receipt number and its receipt email
are written together or not at all. Every booking is idempotent: the ledger refuses a second
entry with the same key, and each function first checks the donation's state.
"""
import logging
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from campaigns.matching.engine import card_fingerprint_key, donor_fingerprint_for
from campaigns.matching.services import apply_matches, reverse_matches
from campaigns.wishes.services import settle_wish_gift
from core.auth import utcnow
from core.i18n import money
from core.retry import per_transaction, run_in_transaction
from donate import booking, receipts, shortfall, state
from donate.models import (
    Donation, DonationDispute, DonationRefund, FailedPaymentAttempt,
)
from donate.outbox import queue_message
from donate.stripe_gateway import GatewayError
from ledger.chart import GENERAL_FUND
from ledger.periods import books_date, post_in_open_month
from ledger.posting import post_entry

log = logging.getLogger(__name__)


class DonationError(ValueError):
    """A gift that must be refused; ``field`` names the form field, ``message`` is safe to show."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message, self.field = message, field


def fee_cover_for(amount_fen: int, bps: int, fixed_fen: int = 0) -> int:
    """The extra a donor adds to cover the processor's fee on ``amount_fen``.

    ``bps`` basis points of the amount plus ``fixed_fen``, rounded UP to the whole fen, so
    that the foundation never ends a fen short: 60 bps on ¥100 is exactly ¥0.60, and on
    ¥1.01 it is 0.606 fen → 1 fen.
    """
    return -(-amount_fen * bps // 10_000) + fixed_fen


#: The donations this transaction has locked, by id and by PaymentIntent id.
_LOCKED = "donate.locked_donations"


def lock_donation(session, donation_id: int) -> Donation:
    """Reload the donation with its row locked until commit (concurrent webhooks wait);
    once per transaction."""
    locked = per_transaction(session, _LOCKED)
    if donation_id not in locked:
        stmt = (sa.select(Donation).where(Donation.id == donation_id).with_for_update()
                .execution_options(populate_existing=True))
        locked[donation_id] = session.execute(stmt).scalar_one()
    return locked[donation_id]


def lock_donations_of(session, intents) -> None:
    """Lock the donations of the PaymentIntents ``intents`` in id order, all at once: a batch
    of webhook events (donate/inbox.py) takes them before any other lock, as a single
    booking does, and its gifts then find them locked."""
    if not intents:
        return
    locked = per_transaction(session, _LOCKED)
    stmt = (sa.select(Donation).where(Donation.stripe_payment_intent.in_(sorted(intents)))
            .order_by(Donation.id).with_for_update().execution_options(populate_existing=True))
    for donation in session.scalars(stmt):
        locked[donation.id] = locked[donation.stripe_payment_intent] = donation


def donation_for_intent(session, pi_id: str | None) -> Donation | None:
    """The donation paid through PaymentIntent ``pi_id`` (None if there is none)."""
    if not pi_id:
        return None
    found = per_transaction(session, _LOCKED).get(pi_id)
    if found is not None:
        return found
    return session.scalar(sa.select(Donation).filter_by(stripe_payment_intent=pi_id))


# -- creating -------------------------------------------------------------------------------

def check_gift(campaign, designation, amount_fen: int) -> None:
    """Raise :class:`DonationError` unless ``campaign`` takes a gift of ``amount_fen`` to
    ``designation``."""
    if campaign.status != "live":
        raise DonationError(_l("This drive is not taking gifts right now."))
    if designation is None or designation.campaign_id != campaign.id:
        raise DonationError(_l("Please choose one of this drive's designations."), "designation")
    if amount_fen < campaign.min_gift_fen:
        raise DonationError(_l("The smallest gift is %(amount)s.", amount=money(campaign.min_gift_fen)),
                            "custom_amount")
    if amount_fen > campaign.max_gift_fen:
        raise DonationError(_l("The largest gift online is %(amount)s.", amount=money(campaign.max_gift_fen)),
                            "custom_amount")


def check_not_locked_out(session, client_ip: str, now: datetime | None = None) -> None:
    """Refuse an address with too many declined payments in the configured window."""
    cfg = current_app.config
    limit = int(cfg.get("DONATE_FAILED_PAYMENT_LIMIT", 5))
    window = timedelta(minutes=int(cfg.get("DONATE_FAILED_PAYMENT_WINDOW_MINUTES", 60)))
    since = (now or utcnow()) - window
    count = session.scalar(sa.select(sa.func.count()).select_from(FailedPaymentAttempt).where(
        FailedPaymentAttempt.client_ip == client_ip, FailedPaymentAttempt.created_at >= since))
    if client_ip and count >= limit:
        log.warning("card-testing defence: %s locked out after %s failed payments", client_ip, count)
        raise DonationError(_l("Too many failed payments from your connection. "
                               "Please try again later."))


def create_donation(session, gateway, *, campaign, designation, gift_fen: int, cover_fee: bool,
                    donor_name: str = "", anonymous: bool = False, message: str = "",
                    email: str = "", client_ip: str = "", **pi_extra) -> tuple[Donation, dict]:
    """A pending donation and its PaymentIntent: ``(donation, payment_intent)``.

    ``pi_extra`` goes to Stripe as is (tests confirm server-side with ``payment_method``).
    """
    check_gift(campaign, designation, gift_fen)
    check_not_locked_out(session, client_ip)
    cfg = current_app.config
    cover = fee_cover_for(gift_fen, int(cfg.get("STRIPE_FEE_BPS", 60)),
                          int(cfg.get("STRIPE_FEE_FIXED_FEN", 0))) if cover_fee else 0
    donation = Donation(
        campaign=campaign, designation=designation, amount_fen=gift_fen + cover,
        fee_cover_fen=cover, currency=campaign.currency, donor_name=donor_name.strip(),
        anonymous=anonymous, message=message.strip(), email=email.strip().lower(),
        client_ip=client_ip, status=state.PENDING,
        donor_fingerprint=donor_fingerprint_for(email),
    )
    session.add(donation)
    session.flush()
    pi = gateway.create_payment_intent(
        donation.amount_fen, donation.currency,
        {"donation_id": donation.id, "campaign": campaign.slug},
        cfg.get("STRIPE_PAYMENT_METHOD_TYPES", ["card"]), **pi_extra)
    donation.stripe_payment_intent = pi["id"]
    session.flush()
    return donation, pi


def pay_donation(session, gateway, donation, card_token: str) -> str:
    """Confirm a pending donation's PaymentIntent with a Stripe.js card token; book it at once
    if it succeeded. Returns Stripe's status (``succeeded``, ``requires_action``, …);
    a decline raises :class:`GatewayError` (the webhook records the failed attempt)."""
    if donation.status not in (state.PENDING, state.FAILED):
        raise DonationError(_l("This gift has already been paid or closed."))
    check_not_locked_out(session, donation.client_ip)
    pi = gateway.confirm_with_card_token(donation.stripe_payment_intent, card_token)
    if pi.get("status") == "succeeded":
        book_paid_intent(session, gateway, donation, pi)
    return pi.get("status", "")


# -- succeeding -----------------------------------------------------------------------------

def fee_fund(donation) -> str:
    if donation.campaign.fee_bearer == "general":
        return GENERAL_FUND
    return donation.designation.fund_code


def queue_receipt(session, donation, notice: tuple[str, ...] = ()) -> None:
    """Queue the receipt email; ``notice`` are extra lines (what became of a wish gift)."""
    secret = current_app.config["SECRET_KEY"]
    code = receipts.receipt_code(secret, donation.receipt_number)
    # Built by hand rather than with url_for: the sweep and the demo seed run without a request.
    base = current_app.config.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    url = f"{base}/receipts/{donation.receipt_number}?code={code}"
    subject, body = receipts.receipt_email(
        donation, donation.receipt_number, code, url, money(donation.amount_fen, donation.currency),
        notice, donor_url=f"{base}/donor")
    queue_message(session, donation.email, subject, body, f"receipt:{donation.receipt_number}")


def book_donation_succeeded(session, donation, *, fee_fen: int = 0,
                            when: datetime | None = None, card_fingerprint: str = "") -> bool:
    """Book a paid donation: state, ledger entry, sponsors' matches, receipt number, receipt
    email — once. ``card_fingerprint`` (Stripe's) replaces the email-based donor fingerprint.

    Returns True when this call booked it, False when it was booked already.
    """
    donation = lock_donation(session, donation.id)
    if donation.status in state.BOOKED_STATUSES:
        return False
    donation.status = state.next_status(donation.status, "succeed")
    donation.succeeded_at, donation.fee_fen = when or utcnow(), fee_fen
    if card_fingerprint:
        donation.donor_fingerprint = card_fingerprint_key(card_fingerprint)
    entry = _post_gift(session, donation)
    donation.entry_id = entry.id
    apply_matches(session, donation)  # after the gift's entry: the ledger lock comes first
    # The receipt's year is the books' year (Shanghai), like the entry's date.
    donation.receipt_number = receipts.take_receipt_number(session, entry.entry_date.year)
    # A gift for a micro-wish funds it, or is redirected (and the receipt says so).
    reservation = settle_wish_gift(session, donation)
    queue_receipt(session, donation, receipts.wish_notice(reservation and reservation.status))
    session.flush()
    log.info("donation %s booked: entry %s, receipt %s", donation.id, entry.id,
             donation.receipt_number)
    return True


def book_paid_intent(session, gateway, donation, pi: dict, when: datetime | None = None) -> bool:
    """Book ``donation`` paid by the succeeded PaymentIntent ``pi`` (dated by ``pi`` unless
    ``when`` says otherwise); the fee and the card come from one look at its charge.

    With ``BOOK_FEES_AT_SUCCESS`` off (a giving-day peak) Stripe is not asked: the gift is
    booked gross, Stripe reconciliation posts its fee later (``stripe:<txn>:fee``), and
    matching counts the donor by the email/phone fingerprint the gift was created with.
    """
    fee_fen, fingerprint = 0, ""
    if current_app.config.get("BOOK_FEES_AT_SUCCESS", True):
        fee_fen, fingerprint = gateway.charge_facts(pi)
    return book_donation_succeeded(session, donation, fee_fen=fee_fen,
                                   when=when or from_unix(pi.get("created")),
                                   card_fingerprint=fingerprint)


def _post_gift(session, donation):
    draft = booking.gift_draft(
        key=donation.booking_key, day=books_date(donation.succeeded_at),
        fund=donation.designation.fund_code, fee_fund=fee_fund(donation),
        gross=donation.amount_fen, fee=donation.fee_fen, currency=donation.currency,
        memo=f"Gift #{donation.id} to {donation.campaign.slug}")
    # A gift that reaches us after its month was closed is booked in the next open month,
    # not refused: Stripe has the money either way.
    return post_in_open_month(session, draft)


def sync_donation(session, gateway, donation) -> bool:
    """Ask Stripe about a pending donation and book it if paid (the thank-you page and
    events that arrive before ``payment_intent.succeeded``). True when it is booked now."""
    if donation.status in state.BOOKED_STATUSES:
        return True
    if not donation.stripe_payment_intent:
        return False
    pi = gateway.retrieve_payment_intent(donation.stripe_payment_intent)
    if pi.get("status") != "succeeded":
        return False
    book_paid_intent(session, gateway, donation, pi)
    return True


def from_unix(ts) -> datetime | None:
    """A Stripe timestamp as the naive UTC datetime the models store."""
    return datetime.fromtimestamp(int(ts), timezone.utc).replace(tzinfo=None) if ts else None


def record_payment_failed(session, donation, event_id: str | None = None) -> None:
    """Mark a declined attempt and count it against the donor's address."""
    donation = lock_donation(session, donation.id)
    if state.can(donation.status, "fail"):
        donation.status = state.next_status(donation.status, "fail")
    exists = event_id and session.scalar(sa.select(FailedPaymentAttempt.id).filter_by(event_id=event_id))
    if donation.client_ip and not exists:
        session.add(FailedPaymentAttempt(client_ip=donation.client_ip, donation_id=donation.id,
                                         event_id=event_id))
        log.warning("failed payment for donation %s from %s", donation.id, donation.client_ip)
    session.flush()


# -- refunds and disputes -------------------------------------------------------------------

def refund_donation(session, gateway, donation, amount_fen: int, by: str) -> DonationRefund:
    """Refund ``amount_fen`` of a gift through Stripe and book it (staff action)."""
    if not state.can(donation.status, "refund_all"):
        raise DonationError(_l("Only a received gift can be refunded."))
    if not 0 < amount_fen <= donation.net_fen:
        raise DonationError(_l("The refund must be between %(low)s and %(high)s.",
                               low=money(1), high=money(donation.net_fen)), "amount")
    try:
        refund = gateway.create_refund(donation.stripe_payment_intent, amount_fen)
    except GatewayError as err:
        raise DonationError(err.message) from None
    return book_refund(session, donation, refund["id"], int(refund["amount"]), by)


def book_refund(session, donation, refund_id: str, amount_fen: int, by: str = "stripe") -> DonationRefund:
    """Book one Stripe refund of a booked gift, once per ``refund_id``."""
    donation = lock_donation(session, donation.id)
    existing = session.scalar(sa.select(DonationRefund).filter_by(stripe_refund=refund_id))
    if existing:
        return existing
    amount_fen = min(amount_fen, donation.net_fen)
    action = "refund_all" if amount_fen == donation.net_fen else "refund_part"
    new_status = state.next_status(donation.status, action)
    fee_share = booking.refund_fee_share(donation.fee_fen, donation.amount_fen,
                                         donation.refunded_fen, amount_fen, donation.currency)
    if by == "stripe":  # see below: the drive's fund may have spent the match
        shortfall.cover_match_reversals(session, donation, amount_fen, kind="refund",
                                        stripe_ref=refund_id)
    reverse_matches(session, donation, amount_fen, actor=by)  # before refunded_fen moves
    draft = booking.refund_draft(
        key=f"stripe:{refund_id}:refund", day=books_date(), posted_by=by,
        fund=donation.designation.fund_code, fee_fund=fee_fund(donation), amount=amount_fen,
        fee_share=fee_share, currency=donation.currency,
        memo=f"Refund {refund_id} of gift #{donation.id}")
    # A refund Stripe reports has happened: money its fund has spent comes from the general
    # fund. One a finance officer starts here is refused instead (donate/shortfall.py).
    entry = (shortfall.post_covered(session, donation, draft, kind="refund", stripe_ref=refund_id)
             if by == "stripe" else post_entry(session, draft))
    refund = DonationRefund(donation_id=donation.id, stripe_refund=refund_id,
                            amount_fen=amount_fen, entry_id=entry.id, requested_by=by)
    session.add(refund)
    donation.refunded_fen += amount_fen
    donation.status = new_status
    session.flush()
    log.info("donation %s refunded %s by %s (%s)", donation.id, amount_fen, by, refund_id)
    return refund


def open_dispute(session, donation, dispute_id: str, amount_fen: int) -> DonationDispute:
    """Hold a disputed amount out of processor clearing; once per dispute id."""
    donation = lock_donation(session, donation.id)
    existing = session.scalar(sa.select(DonationDispute).filter_by(stripe_dispute=dispute_id))
    if existing:
        return existing
    amount_fen = min(amount_fen, donation.net_fen)
    donation.status = state.next_status(donation.status, "dispute")
    entry = post_entry(session, booking.dispute_draft(
        key=f"stripe:{dispute_id}:created", day=books_date(), outcome="open",
        fund=donation.designation.fund_code, amount=amount_fen, currency=donation.currency,
        memo=f"Dispute {dispute_id} of gift #{donation.id}"))
    dispute = DonationDispute(donation_id=donation.id, stripe_dispute=dispute_id,
                              amount_fen=amount_fen, opened_entry_id=entry.id)
    session.add(dispute)
    session.flush()
    return dispute


def close_dispute(session, dispute: DonationDispute, won: bool) -> DonationDispute:
    """Settle an open dispute: the held amount comes back (won) or leaves the books (lost)."""
    donation = lock_donation(session, dispute.donation_id)
    if dispute.status != "open":
        return dispute
    outcome = "won" if won else "lost"
    if won:
        action = "win_dispute" if donation.refunded_fen == 0 else "win_dispute_partial"
    else:
        action = "lose_dispute"
    donation.status = state.next_status(donation.status, action)
    draft = booking.dispute_draft(
        key=f"stripe:{dispute.stripe_dispute}:{outcome}", day=books_date(),
        outcome=outcome, fund=donation.designation.fund_code, amount=dispute.amount_fen,
        currency=donation.currency, memo=f"Dispute {dispute.stripe_dispute} {outcome}")
    entry = shortfall.post_covered(session, donation, draft, kind="dispute",
                                   stripe_ref=dispute.stripe_dispute)
    dispute.status, dispute.closed_entry_id = outcome, entry.id
    if not won:
        shortfall.cover_match_reversals(session, donation, dispute.amount_fen, kind="dispute",
                                        stripe_ref=dispute.stripe_dispute)
        reverse_matches(session, donation, dispute.amount_fen)
    session.flush()
    return dispute


# -- the sweep ------------------------------------------------------------------------------

def sweep_payments(session, gateway, since: datetime | None = None,
                   each_in_transaction: bool = False) -> int:
    """Book every succeeded PaymentIntent that Stripe has and the books lack; returns how
    many were booked. ``each_in_transaction`` (the CLI): each booking commits on its own,
    retried on a write conflict; otherwise they only flush."""
    created_gte = int(since.timestamp()) if since else None
    booked, after = 0, None
    while True:
        items, has_more, after = gateway.list_payment_intents(created_gte, after)
        for pi in items:
            if pi.get("status") != "succeeded":
                continue
            work = lambda pi=pi: _book_swept(session, gateway, pi)  # noqa: E731
            booked += run_in_transaction(session, work) if each_in_transaction else work()
        if not has_more:
            return booked


def _book_swept(session, gateway, pi: dict) -> bool:
    donation = session.scalar(sa.select(Donation).filter_by(stripe_payment_intent=pi["id"]))
    if donation is None:
        log.warning("sweep: PaymentIntent %s has no donation here", pi["id"])
        return False
    if donation.status in state.BOOKED_STATUSES:
        return False
    return book_paid_intent(session, gateway, donation, pi)
