"""The Stripe webhook: real events delivered by localstripe to the app over HTTP, and the
event types localstripe cannot emit (refunds, disputes) signed by the test with Stripe's real
scheme. Replays, duplicates and shuffled order change nothing; bad signatures store nothing."""
import random
import time

import pytest
import sqlalchemy as sa

from core.extensions import db
from donate.models import Donation, DonationRefund, FailedPaymentAttempt, StripeEvent

from tests.donate.giving_support import (count, event, make_paid_donation, post_event, register_webhook, signed,
                       trial_balance)

GIFT_100 = {("PROCESSOR_CLEARING", "SF-LJZ"): 10_000, ("DONATION_INCOME", "SF-LJZ"): -10_000}


def wait_for(predicate, timeout=8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_localstripe_delivers_succeeded_and_the_gift_is_booked(drive, gateway, stripe_url, live_server):
    register_webhook(stripe_url, f"{live_server}/stripe/webhook")
    donation, pi = make_paid_donation(gateway, drive, confirm=None)
    gateway.client.v1.payment_intents.confirm(pi["id"])
    assert wait_for(lambda: db.session.get(Donation, donation.id).status == "succeeded")
    assert trial_balance() == GIFT_100
    row = db.session.scalar(sa.select(StripeEvent).filter_by(type="payment_intent.succeeded"))
    assert row.outcome == "booked"


def test_localstripe_delivers_a_decline_and_it_counts_against_the_address(
        drive, gateway, stripe_url, live_server):
    register_webhook(stripe_url, f"{live_server}/stripe/webhook")
    donation, pi = make_paid_donation(gateway, drive, card="pm_card_chargeCustomerFail", confirm=None)
    with pytest.raises(Exception):
        gateway.client.v1.payment_intents.confirm(pi["id"])
    assert wait_for(lambda: db.session.get(Donation, donation.id).status == "failed")
    attempt = db.session.scalar(sa.select(FailedPaymentAttempt))
    assert attempt.client_ip == "203.0.113.7" and attempt.donation_id == donation.id
    assert trial_balance() == {}


def _succeeded_event(pi, n=1):
    return event(f"evt_succ_{n}", "payment_intent.succeeded", pi)


def _refund_event(pi, refund_id, amount, n):
    charge = {"id": pi["latest_charge"], "object": "charge", "payment_intent": pi["id"],
              "amount": pi["amount"], "amount_refunded": amount,
              "refunds": {"object": "list", "data": [{"id": refund_id, "amount": amount}]}}
    return event(f"evt_ref_{n}", "charge.refunded", charge)


def test_replayed_and_shuffled_events_book_exactly_what_one_delivery_books(client, drive, gateway):
    donation, pi = make_paid_donation(gateway, drive)
    events = [_succeeded_event(pi), _refund_event(pi, "re_a", 3_000, 1),
              event("evt_other", "customer.created", {"id": "cus_1"})]
    for payload in events:
        assert post_event(client, payload).status_code == 200
    once = trial_balance()
    assert once == {("PROCESSOR_CLEARING", "SF-LJZ"): 7_000, ("DONATION_INCOME", "SF-LJZ"): -7_000}
    replays = events * 5
    random.Random(4).shuffle(replays)
    outcomes = {post_event(client, payload).get_json()["outcome"] for payload in replays}
    assert outcomes == {"duplicate"}
    assert trial_balance() == once
    assert count(StripeEvent) == 3 and count(DonationRefund) == 1
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "partially_refunded"


def test_a_refund_that_overtakes_succeeded_books_the_gift_first(client, drive, gateway):
    donation, pi = make_paid_donation(gateway, drive)
    refund = gateway.create_refund(pi["id"], 10_000)
    assert post_event(client, _refund_event(pi, refund["id"], 10_000, 1)).get_json()["outcome"] == "refunded"
    assert post_event(client, _succeeded_event(pi)).get_json()["outcome"] == "already_booked"
    db.session.expire_all()
    gift = db.session.get(Donation, donation.id)
    assert gift.status == "refunded" and gift.receipt_number and trial_balance() == {}


@pytest.mark.parametrize("outcome, status, books", [
    ("won", "succeeded", GIFT_100),
    ("lost", "lost", {}),
])
def test_a_dispute_holds_the_money_then_settles(client, drive, gateway, outcome, status, books):
    donation, pi = make_paid_donation(gateway, drive)
    dispute = {"id": "dp_1", "object": "dispute", "amount": 10_000, "charge": pi["latest_charge"],
               "payment_intent": pi["id"], "status": "needs_response"}
    assert post_event(client, event("evt_dp1", "charge.dispute.created", dispute)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "disputed"
    assert trial_balance() == {("DISPUTES_HELD", "SF-LJZ"): 10_000, ("DONATION_INCOME", "SF-LJZ"): -10_000}
    closed = {**dispute, "status": outcome}
    for _ in range(2):
        post_event(client, event("evt_dp2", "charge.dispute.closed", closed))
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == status
    assert trial_balance() == books


def test_unknown_payment_intent_is_acknowledged_and_books_nothing(client, funds, webhook_secret):
    resp = post_event(client, event("evt_x", "payment_intent.succeeded",
                                    {"id": "pi_nobody", "object": "payment_intent", "created": 1}))
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "unknown_payment_intent"
    assert trial_balance() == {} and count(Donation) == 0


def test_unknown_event_types_are_ignored(client, funds, webhook_secret):
    resp = post_event(client, event("evt_y", "invoice.created", {"id": "in_1"}))
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "ignored"


@pytest.mark.parametrize("case", ["forged", "stale", "missing", "garbage"])
def test_bad_signatures_are_refused_and_store_nothing(client, funds, webhook_secret, case):
    payload = event("evt_bad", "payment_intent.succeeded", {"id": "pi_1"})
    if case == "forged":
        body, headers = signed(payload, secret="whsec_attacker")
    elif case == "stale":
        body, headers = signed(payload, timestamp=int(time.time()) - 3600)
    else:
        body, headers = signed(payload)
        headers["Stripe-Signature"] = "" if case == "missing" else "t=1,v1=zz"
    resp = client.post("/stripe/webhook", data=body, headers=headers)
    assert resp.status_code == 400
    assert count(StripeEvent) == 0


def test_the_webhook_needs_no_csrf_token(app, funds, webhook_secret):
    app.config["WTF_CSRF_ENABLED"] = True
    resp = post_event(app.test_client(), event("evt_z", "invoice.created", {"id": "in_1"}))
    assert resp.status_code == 200


def test_a_canceled_payment_intent_cancels_a_pending_gift_only(client, drive, gateway):
    pending, pi = make_paid_donation(gateway, drive, confirm=None)
    canceled = gateway.client.v1.payment_intents.cancel(pi["id"]).to_dict()
    assert post_event(client, event("evt_c1", "payment_intent.canceled", canceled)).get_json()[
        "outcome"] == "canceled"
    paid, pi2 = make_paid_donation(gateway, drive)
    post_event(client, _succeeded_event(pi2, 2))
    late = post_event(client, event("evt_c2", "payment_intent.canceled", {**pi2, "status": "canceled"}))
    assert late.get_json()["outcome"] == "not_applicable"
    db.session.expire_all()
    assert db.session.get(Donation, pending.id).status == "canceled"
    assert db.session.get(Donation, paid.id).status == "succeeded"
