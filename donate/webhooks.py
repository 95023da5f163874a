"""Stripe webhook events into donations and the books.

Every verified event is stored by its id in the inbox (``donate/inbox.py``), which calls
:func:`process_event` for it, alone or in a batch; a replay finds the row and changes nothing.
Processing does not trust the order of arrival: an event about a gift that is still pending
here (a refund that overtook ``payment_intent.succeeded``) first asks Stripe for the
PaymentIntent and books it, through the same idempotent booking service.
"""
import logging

import sqlalchemy as sa

from donate import recurring, services, state
from donate.models import Donation, DonationDispute
from donate.recurring_models import RecurringPlan

log = logging.getLogger(__name__)


def _on_pi_succeeded(session, gateway, obj: dict) -> str:
    donation = services.donation_for_intent(session, obj.get("id"))
    if donation is None and obj.get("invoice"):  # a monthly gift's charge: its invoice books it
        return _on_invoice_paid(session, gateway, {"id": obj["invoice"]})
    if donation is None:
        return "unknown_payment_intent"
    if donation.status in state.BOOKED_STATUSES:  # a replay: spare Stripe the lookups
        return "already_booked"
    booked = services.book_paid_intent(session, gateway, donation, obj)
    return "booked" if booked else "already_booked"


def _on_pi_failed(session, gateway, obj: dict, event_id: str) -> str:
    donation = services.donation_for_intent(session, obj.get("id"))
    if donation is None:
        return "unknown_payment_intent"
    services.record_payment_failed(session, donation, event_id)
    return "failed"


def _on_pi_canceled(session, gateway, obj: dict) -> str:
    donation = services.donation_for_intent(session, obj.get("id"))
    if donation is None:
        return "unknown_payment_intent"
    donation = services.lock_donation(session, donation.id)
    donation.status = state.next_status(donation.status, "cancel")
    return "canceled"


def _booked_donation(session, gateway, pi_id: str | None) -> Donation | None:
    """The donation of ``pi_id``, booked first if Stripe says it was paid."""
    donation = services.donation_for_intent(session, pi_id)
    if donation is not None and donation.status not in state.BOOKED_STATUSES:
        services.sync_donation(session, gateway, donation)
    return donation


def _on_charge_refunded(session, gateway, obj: dict) -> str:
    donation = _booked_donation(session, gateway, obj.get("payment_intent"))
    if donation is None:
        return "unknown_payment_intent"
    refunds = (obj.get("refunds") or {}).get("data") or []
    if not refunds:
        # Newer API versions do not embed the refunds: book the difference as one refund.
        missing = int(obj.get("amount_refunded") or 0) - donation.refunded_fen
        refunds = [{"id": f"{obj['id']}:{obj.get('amount_refunded')}", "amount": missing}] if missing > 0 else []
    for refund in refunds:
        services.book_refund(session, donation, refund["id"], int(refund["amount"]), "stripe")
    return "refunded"


def _on_dispute_created(session, gateway, obj: dict) -> str:
    donation = _booked_donation(session, gateway, obj.get("payment_intent"))
    if donation is None:
        return "unknown_payment_intent"
    services.open_dispute(session, donation, obj["id"], int(obj["amount"]))
    return "disputed"


def _on_dispute_closed(session, gateway, obj: dict) -> str:
    dispute = session.scalar(sa.select(DonationDispute).filter_by(stripe_dispute=obj["id"]))
    if dispute is None:
        # The "created" event has not arrived (or was lost): open it now, then close it.
        if _on_dispute_created(session, gateway, obj) != "disputed":
            return "unknown_payment_intent"
        dispute = session.scalar(sa.select(DonationDispute).filter_by(stripe_dispute=obj["id"]))
    if obj.get("status") not in ("won", "lost"):
        return "ignored"
    services.close_dispute(session, dispute, won=obj["status"] == "won")
    return f"dispute_{obj['status']}"


# -- monthly giving (donate/recurring.py) --
# The event's invoice is fetched again from Stripe: its current state, not the payload's, decides.

def _on_invoice_paid(session, gateway, obj: dict) -> str:
    donation = recurring.book_renewal(session, gateway, gateway.retrieve_invoice(obj["id"]))
    return "renewal_booked" if donation is not None else "unknown_invoice"


def _on_invoice_failed(session, gateway, obj: dict) -> str:
    plan = recurring.record_renewal_failed(session, gateway, gateway.retrieve_invoice(obj["id"]))
    return f"renewal_failed:{plan.status}" if plan is not None else "unknown_invoice"


def _on_subscription_changed(session, gateway, obj: dict) -> str:
    plan = session.scalar(sa.select(RecurringPlan).filter_by(stripe_subscription=obj.get("id")))
    if plan is None or plan.status in ("incomplete", "cancelled"):
        return "unknown_subscription" if plan is None else "ignored"
    recurring.sync_plan(session, gateway, plan)
    return f"plan_synced:{plan.status}"


HANDLERS = {
    "payment_intent.succeeded": _on_pi_succeeded,
    "payment_intent.payment_failed": _on_pi_failed,
    "payment_intent.canceled": _on_pi_canceled,
    "charge.refunded": _on_charge_refunded,
    "charge.dispute.created": _on_dispute_created,
    "charge.dispute.closed": _on_dispute_closed,
    "invoice.paid": _on_invoice_paid,
    "invoice.payment_succeeded": _on_invoice_paid,
    "invoice.payment_failed": _on_invoice_failed,
    "customer.subscription.updated": _on_subscription_changed,
    "customer.subscription.deleted": _on_subscription_changed,
}


def process_event(session, gateway, event: dict) -> str:
    """Process one verified event that the inbox holds; returns what happened (``booked``,
    ``ignored``, ``unknown_payment_intent``, …). Flushes; the caller commits."""
    event_id, kind = event["id"], event.get("type", "")
    handler = HANDLERS.get(kind)
    obj = (event.get("data") or {}).get("object") or {}
    if handler is None:
        outcome = "ignored"
    elif kind == "payment_intent.payment_failed":
        outcome = handler(session, gateway, obj, event_id)
    else:
        outcome = _guarded(handler, session, gateway, obj)
    if outcome == "unknown_payment_intent":
        log.warning("stripe event %s (%s) for an unknown PaymentIntent: nothing booked",
                    event_id, kind)
    session.flush()
    return outcome


def payment_intent_of(event: dict) -> str | None:
    """The PaymentIntent an event is about (its own object, or a charge's or dispute's)."""
    obj = (event.get("data") or {}).get("object") or {}
    if obj.get("object") == "payment_intent" or event.get("type", "").startswith("payment_intent."):
        return obj.get("id")
    pi = obj.get("payment_intent")
    return pi if isinstance(pi, str) else None


def _guarded(handler, session, gateway, obj) -> str:
    try:
        return handler(session, gateway, obj)
    except state.TransitionError as err:
        # An event that no longer applies (a refund of a refunded gift): keep it, book nothing.
        log.info("stripe event ignored: %s", err)
        return "not_applicable"
