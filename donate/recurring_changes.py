"""What a donor changes on a monthly plan: resume, amount, designation, card, cancel (pausing
lives in :mod:`donate.recurring`, since the final failed renewal pauses too). Each asks Stripe
first and changes the plan only once Stripe agreed, so that a refused call leaves both sides
as they were. Flush, never commit.

A change of amount replaces the subscription: the new one starts charging on the old one's
next date (``trial_end``), so the donor is neither charged twice nor skipped this month.
"""
import logging
import time

from flask_babel import lazy_gettext as _l

from core.auth import utcnow
from core.i18n import money
from donate import recurring, services
from donate.recurring_models import CANCELLED, LIVE_STATUSES, PAST_DUE, next_status

log = logging.getLogger(__name__)


def resume_plan(session, gateway, plan) -> None:
    """Start charging again with a new subscription on the same customer; this month's gift
    is charged and booked now."""
    new_status = next_status(plan.status, "resume")
    sub = recurring.subscribe(gateway, plan)
    plan.status, plan.paused_reason, plan.failed_count = new_status, "", 0
    recurring.apply_subscription(plan, sub)
    if sub.get("latest_invoice"):
        recurring.book_renewal(session, gateway, gateway.retrieve_invoice(sub["latest_invoice"]))
    session.flush()


def cancel_plan(session, gateway, plan) -> None:
    """End the plan for good; gifts already made stay as they are."""
    new_status = next_status(plan.status, "cancel")
    if plan.status in LIVE_STATUSES:
        gateway.cancel_subscription(plan.stripe_subscription)
    plan.status, plan.cancelled_at, plan.next_charge_on = new_status, utcnow(), None
    session.flush()


def _check_changeable(plan) -> None:
    if plan.status == CANCELLED:
        raise services.DonationError(_l("This monthly gift has been cancelled."))


def change_plan_amount(session, gateway, plan, gift_fen: int) -> None:
    """Charge ``gift_fen`` (plus the same kind of fee cover) from the next date on."""
    _check_changeable(plan)
    recurring.check_monthly(plan.campaign, plan.designation, gift_fen, plan.email)
    cover = recurring.fee_cover(gift_fen, plan.fee_cover_fen > 0)
    old_amount = plan.amount_fen
    plan.amount_fen, plan.fee_cover_fen = gift_fen + cover, cover
    if plan.status in LIVE_STATUSES and plan.amount_fen != old_amount:
        _replace_subscription(gateway, plan)
    session.flush()
    log.info("plan %s amount %s → %s", plan.id, money(old_amount, plan.currency),
             money(plan.amount_fen, plan.currency))


def _replace_subscription(gateway, plan) -> None:
    old = gateway.retrieve_subscription(plan.stripe_subscription)
    trial_end = max(int(old.get("current_period_end") or 0), int(time.time()) + 3600)
    sub = recurring.subscribe(gateway, plan, trial_end=trial_end)
    try:
        gateway.cancel_subscription(old["id"])
    except Exception:
        gateway.cancel_subscription(sub["id"])  # leave the donor with one subscription, the old one
        raise
    recurring.apply_subscription(plan, sub)


def change_plan_designation(session, gateway, plan, designation) -> None:
    """Send the coming months' gifts to ``designation`` (one of the same drive's)."""
    _check_changeable(plan)
    if designation is None or designation.campaign_id != plan.campaign_id:
        raise services.DonationError(_l("Please choose one of this drive's designations."),
                                     "designation")
    plan.designation = designation
    if plan.status in LIVE_STATUSES:
        gateway.update_subscription_metadata(plan.stripe_subscription, recurring.plan_metadata(plan))
    session.flush()


def update_plan_card(session, gateway, plan, card_token: str) -> str:
    """Charge another card from now on; a past-due month is retried with it at once.
    Returns the plan's status."""
    _check_changeable(plan)
    gateway.set_customer_card(plan.stripe_customer, card_token)
    if plan.status == PAST_DUE:
        _retry_open_invoice(session, gateway, plan)
    session.flush()
    return plan.status


def _retry_open_invoice(session, gateway, plan) -> None:
    for invoice in gateway.list_invoices(plan.stripe_subscription):
        if invoice.get("status") == "open":
            paid = gateway.pay_invoice(invoice["id"])
            if paid.get("status") == "paid":
                recurring.book_renewal(session, gateway, gateway.retrieve_invoice(invoice["id"]))
            else:
                raise services.DonationError(_l("The new card was declined too. Please try another card."))

