"""Monthly giving: start a plan, book each paid invoice as a gift, record failed renewals,
and reconcile every plan against Stripe (the sweep).

Each paid invoice becomes exactly one :class:`Donation` (unique ``stripe_invoice``) booked
through :func:`donate.services.book_donation_succeeded`, the one booking path: ledger entry,
receipt number, receipt email and matching all happen there. Like every service here these
functions flush and never commit. Changes a donor makes live in :mod:`donate.recurring_changes`.
"""
import logging

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core.i18n import money
from donate import services
from donate.donor_auth import card_link_url, normalise_email
from donate.models import Donation, FailedPaymentAttempt
from donate.outbox import queue_message
from donate.state import BOOKED_STATUSES
from donate.recurring_models import (
    ACTIVE, CANCELLED, INCOMPLETE, LIVE_STATUSES, PAST_DUE, PAUSED, RecurringPlan, can, next_status,
)
from donate.stripe_gateway import DONOR_MESSAGES, GatewayError
from ledger.periods import books_date

log = logging.getLogger(__name__)

#: Stripe subscription statuses that mean "charging every month".
STRIPE_LIVE = ("active", "trialing")
#: Stripe gave up on the subscription after its last retry.
STRIPE_GAVE_UP = ("unpaid", "incomplete_expired")


def min_monthly_fen() -> int:
    return int(current_app.config.get("RECURRING_MIN_FEN", 1000))


def check_monthly(campaign, designation, gift_fen: int, email: str) -> None:
    """Raise :class:`services.DonationError` unless a monthly gift of ``gift_fen`` may start."""
    services.check_gift(campaign, designation, gift_fen)
    if gift_fen < min_monthly_fen():
        raise services.DonationError(_l("The smallest monthly gift is %(amount)s.",
                                        amount=money(min_monthly_fen(), campaign.currency)),
                                     "custom_amount")
    if not email:
        raise services.DonationError(_l("A monthly gift needs your email, so that you can "
                                        "manage or stop it."), "email")


def fee_cover(gift_fen: int, cover_fee: bool) -> int:
    if not cover_fee:
        return 0
    cfg = current_app.config
    return services.fee_cover_for(gift_fen, int(cfg.get("STRIPE_FEE_BPS", 60)),
                                  int(cfg.get("STRIPE_FEE_FIXED_FEN", 0)))


def create_plan(session, *, campaign, designation, gift_fen: int, cover_fee: bool, email: str,
                donor_name: str = "", anonymous: bool = False, client_ip: str = "") -> RecurringPlan:
    """A plan waiting for the donor's card (``incomplete``); nothing is sent to Stripe yet."""
    email = normalise_email(email)
    check_monthly(campaign, designation, gift_fen, email)
    cover = fee_cover(gift_fen, cover_fee)
    plan = RecurringPlan(campaign=campaign, designation=designation, amount_fen=gift_fen + cover,
                         fee_cover_fen=cover, currency=campaign.currency, email=email,
                         donor_name=donor_name.strip(), anonymous=anonymous, client_ip=client_ip,
                         status=INCOMPLETE)
    session.add(plan)
    session.flush()
    return plan


def plan_metadata(plan) -> dict:
    return {"plan_id": plan.id, "campaign": plan.campaign.slug, "designation": plan.designation.fund_code}


def subscribe(gateway, plan, trial_end: int | None = None) -> dict:
    """A new Stripe subscription for ``plan`` on its customer; a first charge that fails
    cancels it again and raises :class:`GatewayError` (nothing is left charging)."""
    stripe_plan = gateway.monthly_plan(plan.amount_fen, plan.currency)
    sub = gateway.create_subscription(plan.stripe_customer, stripe_plan, plan_metadata(plan), trial_end)
    if not trial_end and sub.get("status") not in STRIPE_LIVE:
        gateway.cancel_subscription(sub["id"])
        raise GatewayError(DONOR_MESSAGES["card_declined"], "card_declined")
    plan.stripe_plan = stripe_plan
    return sub


def start_plan(session, gateway, plan, card_token: str) -> str:
    """Give ``plan`` a Stripe customer and subscription with the donor's card; the first month
    is charged and booked at once. Returns the plan's status."""
    if plan.status != INCOMPLETE:
        raise services.DonationError(_l("This monthly gift has already started."))
    services.check_not_locked_out(session, plan.client_ip)
    if not plan.stripe_customer:
        customer = gateway.create_customer(plan.email, card_token, {"plan_id": plan.id})
        plan.stripe_customer = customer["id"]
    else:
        gateway.set_customer_card(plan.stripe_customer, card_token)
    sub = subscribe(gateway, plan)
    plan.status = next_status(plan.status, "start")
    apply_subscription(plan, sub)
    if sub.get("latest_invoice"):
        book_renewal(session, gateway, _invoice(gateway, sub["latest_invoice"]))
    session.flush()
    return plan.status


def record_start_declined(session, plan) -> None:
    """A card refused when starting a plan counts against the address, as a one-off decline
    does: the monthly form must not become a way round the card-testing defence."""
    if plan.client_ip:
        session.add(FailedPaymentAttempt(client_ip=plan.client_ip))
        session.flush()
        log.warning("declined card starting plan %s from %s", plan.id, plan.client_ip)


def _invoice(gateway, invoice) -> dict:
    return invoice if isinstance(invoice, dict) else gateway.retrieve_invoice(invoice)


def apply_subscription(plan, sub: dict) -> None:
    """Copy the subscription's id, Stripe plan and next charge date onto ``plan``."""
    plan.stripe_subscription = sub["id"]
    item = ((sub.get("items") or {}).get("data") or [{}])[0]
    stripe_plan = item.get("plan") or sub.get("plan") or {}
    plan.stripe_plan = stripe_plan.get("id") or plan.stripe_plan
    plan.next_charge_on = next_charge_date(sub)


def next_charge_date(sub: dict):
    """The books' date of the subscription's next charge (the end of its period or trial)."""
    ts = sub.get("trial_end") if sub.get("status") in ("trialing", "incomplete") else None
    ts = ts or sub.get("current_period_end") or (
        (((sub.get("items") or {}).get("data") or [{}])[0]).get("current_period_end"))
    return books_date(services.from_unix(ts)) if ts else None


def invoice_subscription(invoice: dict) -> str | None:
    """The invoice's subscription id (older API versions: top level; newer: under ``parent``)."""
    sub = invoice.get("subscription")
    if isinstance(sub, dict):
        sub = sub.get("id")
    if not sub:
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        sub = details.get("subscription")
    return sub


def plan_for_invoice(session, invoice: dict) -> RecurringPlan | None:
    sub = invoice_subscription(invoice)
    return session.scalar(sa.select(RecurringPlan).filter_by(stripe_subscription=sub)) if sub else None


# -- renewals -------------------------------------------------------------------------------

def book_renewal(session, gateway, invoice: dict) -> Donation | None:
    """Book a paid invoice of a plan as one gift, once per invoice; the gift (or None when the
    invoice is not paid or belongs to no plan here)."""
    plan = plan_for_invoice(session, invoice)
    if plan is None:
        log.warning("invoice %s belongs to no monthly plan here", invoice.get("id"))
        return None
    if invoice.get("status") != "paid" or int(invoice.get("amount_paid") or 0) <= 0:
        return None
    donation = _renewal_donation(session, plan, invoice)
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at")
    services.book_paid_intent(session, gateway, donation, {"latest_charge": invoice.get("charge")},
                              when=services.from_unix(paid_at or invoice.get("created")))
    if can(plan.status, "recover"):
        plan.status, plan.failed_count = next_status(plan.status, "recover"), 0
    session.flush()
    return donation


def _renewal_donation(session, plan, invoice: dict) -> Donation:
    """The invoice's gift, made once: a concurrent delivery of the same invoice finds the first."""
    existing = session.scalar(sa.select(Donation).filter_by(stripe_invoice=invoice["id"]))
    if existing is not None:
        return existing
    amount = int(invoice["amount_paid"])
    pi = invoice.get("payment_intent")
    donation = Donation(
        campaign=plan.campaign, designation=plan.designation, amount_fen=amount,
        fee_cover_fen=min(plan.fee_cover_fen, amount - 1), currency=invoice["currency"].upper(),
        donor_name=plan.donor_name, anonymous=plan.anonymous, email=plan.email, channel="online",
        plan_id=plan.id, stripe_invoice=invoice["id"],
        stripe_payment_intent=pi.get("id") if isinstance(pi, dict) else pi)
    try:
        with session.begin_nested():
            session.add(donation)
    except IntegrityError:
        donation = session.scalar(sa.select(Donation).filter_by(stripe_invoice=invoice["id"]))
        if donation is None:
            raise
    return donation


def record_renewal_failed(session, gateway, invoice: dict) -> RecurringPlan | None:
    """A renewal was declined: the plan is past due and the donor gets a link to change the
    card; at the final failure (``RECURRING_MAX_FAILURES`` in a row, or Stripe giving up) the
    plan is paused, not lost."""
    plan = plan_for_invoice(session, invoice)
    if plan is None or plan.status not in LIVE_STATUSES:
        return plan
    plan.failed_count += 1
    plan.status = next_status(plan.status, "fail")
    limit = int(current_app.config.get("RECURRING_MAX_FAILURES", 3))
    sub_status = gateway.retrieve_subscription(plan.stripe_subscription).get("status")
    final = plan.failed_count >= limit or sub_status in STRIPE_GAVE_UP + ("canceled",)
    if final:
        pause_plan(session, gateway, plan, reason="payment_failed", stripe_done=sub_status == "canceled")
    _queue_failure_email(session, plan, invoice, final)
    session.flush()
    return plan


def _queue_failure_email(session, plan, invoice: dict, final: bool) -> None:
    url = card_link_url(plan)
    amount = money(plan.amount_fen, plan.currency)
    if final:
        subject = "月捐已暂停 Your monthly gift is paused"
        zh = f"您每月 {amount} 的捐赠多次扣款失败，已暂停。更换银行卡后可恢复："
        en = f"Your monthly gift of {amount} could not be charged and is paused. Change the card to resume:"
    else:
        subject = "月捐扣款失败 Your monthly gift could not be charged"
        zh = f"您每月 {amount} 的捐赠本次扣款失败，我们会再试。请更换银行卡："
        en = f"This month's gift of {amount} could not be charged; we will try again. Change the card here:"
    body = "\n".join([zh, en, url, "", f"「{plan.campaign.title_zh}」", "万家 Wanjia"])
    attempt = invoice.get("attempt_count") or plan.failed_count
    queue_message(session, plan.email, subject, body, f"plan-failed:{invoice.get('id')}:{attempt}")


def pause_plan(session, gateway, plan, reason: str = "donor", stripe_done: bool = False) -> None:
    """Stop charging: the Stripe subscription is cancelled, the plan kept for resuming."""
    new_status = next_status(plan.status, "pause")
    if not stripe_done:
        gateway.cancel_subscription(plan.stripe_subscription)
    plan.status, plan.paused_reason, plan.next_charge_on = new_status, reason, None
    session.flush()
    log.info("plan %s paused (%s)", plan.id, reason)


# -- the sweep ------------------------------------------------------------------------------

def _stripe_amount(sub: dict) -> int | None:
    item = ((sub.get("items") or {}).get("data") or [{}])[0]
    plan = item.get("plan") or sub.get("plan") or {}
    if plan.get("amount") is None:
        return None
    return int(plan["amount"]) * int(item.get("quantity") or sub.get("quantity") or 1)


def _status_from_stripe(plan, sub: dict) -> str:
    """What Wanjia's status should be, given Stripe's subscription."""
    status = sub.get("status")
    if status in STRIPE_LIVE or (status == "incomplete" and sub.get("trial_end")):
        return ACTIVE if plan.status != PAUSED else PAUSED
    if status == "past_due":
        return PAST_DUE
    if status in STRIPE_GAVE_UP:
        return PAUSED
    if status == "canceled":
        # A plan failing at the end is paused for the donor to resume; one that was fine and
        # got cancelled at Stripe (by staff there, or a dispute) is cancelled here too.
        return plan.status if plan.status in (PAUSED, CANCELLED) else (
            PAUSED if plan.status == PAST_DUE else CANCELLED)
    return plan.status


def sync_plan(session, gateway, plan) -> list[str]:
    """Make ``plan`` agree with its Stripe subscription; returns what drifted (for the log)."""
    sub = gateway.retrieve_subscription(plan.stripe_subscription)
    drift = []
    status = _status_from_stripe(plan, sub)
    if status != plan.status:
        drift.append(f"status {plan.status}→{status}")
        plan.status = status
        if status == CANCELLED:
            plan.cancelled_at = services.from_unix(sub.get("canceled_at")) or plan.cancelled_at
    amount = _stripe_amount(sub)
    if amount and amount != plan.amount_fen and status in LIVE_STATUSES:
        drift.append(f"amount {plan.amount_fen}→{amount}")
        plan.amount_fen, plan.fee_cover_fen = amount, min(plan.fee_cover_fen, amount - 1)
        apply_subscription(plan, sub)
    next_on = next_charge_date(sub) if status in LIVE_STATUSES else None
    if next_on != plan.next_charge_on:
        drift.append(f"next date {plan.next_charge_on}→{next_on}")
        plan.next_charge_on = next_on
    session.flush()
    return drift


def _book_missed_invoices(session, gateway, plan) -> int:
    booked = 0
    for invoice in gateway.list_invoices(plan.stripe_subscription):
        if invoice.get("status") != "paid" or session.scalar(sa.select(Donation.id).where(
                Donation.stripe_invoice == invoice["id"], Donation.status.in_(BOOKED_STATUSES))):
            continue
        if book_renewal(session, gateway, invoice) is not None:
            booked += 1
    return booked


def sweep_plans(session, gateway, commit=None) -> dict:
    """Reconcile every plan that has a subscription against Stripe: book paid invoices the books
    lack, then repair status, amount and next date. ``commit`` runs after each plan."""
    totals = {"checked": 0, "repaired": 0, "booked": 0, "unreachable": 0}
    plans = session.scalars(sa.select(RecurringPlan.id).where(
        RecurringPlan.stripe_subscription.is_not(None), RecurringPlan.status != CANCELLED)).all()
    for plan_id in plans:
        plan = session.get(RecurringPlan, plan_id)
        try:
            totals["booked"] += _book_missed_invoices(session, gateway, plan)
            drift = sync_plan(session, gateway, plan)
        except GatewayError as err:
            # One subscription Stripe cannot find must not stop the others being checked.
            log.warning("sweep: plan %s not checked: %s (%s)", plan.id, err, err.code)
            totals["unreachable"] += 1
            continue
        if drift:
            log.warning("sweep: plan %s drifted from Stripe: %s", plan.id, "; ".join(drift))
            totals["repaired"] += 1
        totals["checked"] += 1
        if commit:
            commit()
    return totals
