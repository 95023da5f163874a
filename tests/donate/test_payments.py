"""Paying through the real stripe SDK against a real localstripe: succeed, decline, 3-D
Secure, refunds full and partial, the thank-you page, and the sweep that books what a lost
webhook never told us — exactly once."""
import requests
from flask_babel import force_locale

from core.extensions import db
from donate import services
from donate.models import Donation, DonationRefund, OutboxMessage
from donate.stripe_gateway import GatewayError

from tests.donate.giving_support import count, designation, make_paid_donation, trial_balance

GIFT_100 = {("PROCESSOR_CLEARING", "SF-LJZ"): 10_000, ("DONATION_INCOME", "SF-LJZ"): -10_000}


def test_a_confirmed_payment_is_booked_once_by_the_thank_you_page(client, drive, gateway):
    donation, pi = make_paid_donation(gateway, drive)
    assert pi["status"] == "succeeded" and pi["metadata"]["donation_id"] == str(donation.id)
    assert pi["metadata"]["campaign"] == drive.slug
    assert donation.status == "pending"
    for _ in range(2):
        html = client.get(f"/donations/{donation.token}/thanks?lang=en").get_data(as_text=True)
    db.session.refresh(donation)
    assert donation.status == "succeeded" and "Received" in html
    assert donation.receipt_number in html
    assert trial_balance() == GIFT_100
    assert count(OutboxMessage) == 1


def test_a_declined_card_raises_a_donor_safe_error(drive, gateway):
    donation, pi = make_paid_donation(gateway, drive, card="pm_card_chargeCustomerFail", confirm=None)
    assert pi["status"] == "requires_confirmation"
    try:
        gateway.client.v1.payment_intents.confirm(pi["id"])
    except Exception as err:  # the SDK's CardError, as the browser would get it
        assert getattr(err, "code", "") == "card_declined"
    else:
        raise AssertionError("the card should have been declined")
    assert services.sync_donation(db.session, gateway, donation) is False
    assert trial_balance() == {}


def test_three_d_secure_then_authenticated(client, drive, gateway, stripe_url):
    pm = gateway.client.v1.payment_methods.create({"type": "card", "card": {
        "number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    donation, pi = make_paid_donation(gateway, drive, card=pm.id)
    assert pi["status"] == "requires_action"
    client.get(f"/donations/{donation.token}/thanks")
    assert db.session.get(Donation, donation.id).status == "pending"
    resp = requests.post(f"{stripe_url}/v1/payment_intents/{pi['id']}/_authenticate",
                         data={"client_secret": pi["client_secret"], "success": "true",
                               "key": "pk_test_wanjia"}, timeout=5)
    assert resp.status_code == 200 and resp.json()["status"] == "succeeded"
    client.get(f"/donations/{donation.token}/thanks")
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "succeeded"
    assert trial_balance() == GIFT_100


def test_three_d_secure_failed_stays_unpaid(client, drive, gateway, stripe_url):
    pm = gateway.client.v1.payment_methods.create({"type": "card", "card": {
        "number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    donation, pi = make_paid_donation(gateway, drive, card=pm.id)
    requests.post(f"{stripe_url}/v1/payment_intents/{pi['id']}/_authenticate",
                  data={"client_secret": pi["client_secret"], "success": "false",
                        "key": "pk_test_wanjia"}, timeout=5)
    client.get(f"/donations/{donation.token}/thanks")
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "pending"
    assert trial_balance() == {}


def test_staff_refunds_part_then_the_rest_through_stripe(drive, gateway):
    donation, _pi = make_paid_donation(gateway, drive)
    services.sync_donation(db.session, gateway, donation)
    refund = services.refund_donation(db.session, gateway, donation, 2_500, "finance@example.org")
    db.session.commit()
    assert refund.stripe_refund.startswith("re_") and refund.amount_fen == 2_500
    assert donation.status == "partially_refunded"
    assert trial_balance() == {("PROCESSOR_CLEARING", "SF-LJZ"): 7_500,
                               ("DONATION_INCOME", "SF-LJZ"): -7_500}
    services.refund_donation(db.session, gateway, donation, 7_500, "finance@example.org")
    db.session.commit()
    assert donation.status == "refunded" and donation.refunded_fen == 10_000
    assert trial_balance() == {} and count(DonationRefund) == 2


def test_a_refund_larger_than_what_is_left_is_refused(drive, gateway):
    donation, _pi = make_paid_donation(gateway, drive)
    services.sync_donation(db.session, gateway, donation)
    db.session.commit()
    try:
        with force_locale("en"):
            services.refund_donation(db.session, gateway, donation, 10_001, "finance@example.org")
    except services.DonationError as err:
        with force_locale("en"):
            assert "between" in str(err)
    else:
        raise AssertionError("over-refund accepted")
    assert count(DonationRefund) == 0


def test_a_pending_gift_cannot_be_refunded(drive, gateway):
    donation, _pi = make_paid_donation(gateway, drive, confirm=None)
    try:
        with force_locale("en"):
            services.refund_donation(db.session, gateway, donation, 100, "finance@example.org")
    except services.DonationError as err:
        assert str(err) == "Only a received gift can be refunded."
    else:
        raise AssertionError("refund of an unpaid gift accepted")


def test_the_sweep_books_a_payment_whose_webhook_was_lost_exactly_once(runner, drive, gateway):
    paid, _ = make_paid_donation(gateway, drive)
    unpaid, _ = make_paid_donation(gateway, drive, confirm=None)
    other, _ = make_paid_donation(gateway, drive, amount_fen=5_000, fund="GOODS-YN")
    for _ in range(2):
        result = runner.invoke(args=["payments", "sweep"])
        assert result.exit_code == 0, result.output
    assert "booked 0 payment(s)" in result.output
    db.session.expire_all()
    statuses = [db.session.get(Donation, d.id).status for d in (paid, unpaid, other)]
    assert statuses == ["succeeded", "pending", "succeeded"]
    assert trial_balance() == {**GIFT_100, ("PROCESSOR_CLEARING", "GOODS-YN"): 5_000,
                               ("DONATION_INCOME", "GOODS-YN"): -5_000}


def test_the_sweep_pages_through_stripe_and_respects_since(runner, drive, gateway):
    for n in range(3):
        make_paid_donation(gateway, drive, amount_fen=1_000 + n)
    booked = services.sweep_payments(db.session, _SmallPages(gateway))
    db.session.commit()
    assert booked == 3
    result = runner.invoke(args=["payments", "sweep", "--since", "2999-01-01"])
    assert result.exit_code == 0 and "booked 0 payment(s)" in result.output


class _SmallPages:
    """The gateway with pages of one, to prove the sweep follows ``has_more``."""

    def __init__(self, gateway):
        self.gateway = gateway

    def list_payment_intents(self, created_gte=None, starting_after=None, limit=1):
        return self.gateway.list_payment_intents(created_gte, starting_after, limit=1)

    def __getattr__(self, name):
        return getattr(self.gateway, name)


def test_stripe_unreachable_is_a_donor_safe_form_error(client, drive, app):
    app.config.update(STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_MAX_NETWORK_RETRIES=0)
    resp = client.post(f"/c/{drive.slug}/donate?lang=en", data={
        "preset": "custom", "custom_amount": "10", "designation": str(designation(drive, "SF-LJZ").id)})
    assert resp.status_code == 400
    assert "The payment service is not available right now." in resp.get_data(as_text=True)
    assert count(Donation) == 0


def test_gateway_error_maps_declines(gateway):
    try:
        gateway.create_payment_intent(100, "CNY", {}, payment_method="pm_card_chargeCustomerFail",
                                      confirm=True)
    except GatewayError as err:
        assert err.code == "card_declined"
        with force_locale("en"):
            assert str(err.message) == "Your card was declined. Please try another card."
    else:
        raise AssertionError("no decline")


def _card_token(stripe_url, number="4242424242424242"):
    """A token made the way Stripe.js makes one from the card element (publishable key)."""
    resp = requests.post(f"{stripe_url}/v1/tokens", data={
        "card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2030",
        "card[cvc]": "123", "key": "pk_test_wanjia"}, timeout=5)
    assert resp.status_code == 200, resp.text
    return resp.json()["id"]


def _pending(gateway, drive):
    donation, _pi = make_paid_donation(gateway, drive, card=None, confirm=None)
    return donation


def test_the_payment_step_pays_with_a_card_token_and_books(client, drive, gateway, stripe_url):
    donation = _pending(gateway, drive)
    resp = client.post(f"/donations/{donation.token}/card",
                       data={"card_token": _card_token(stripe_url)})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json() == {"status": "succeeded", "client_secret": None,
                               "next": f"/donations/{donation.token}/thanks"}
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "succeeded"
    assert trial_balance() == GIFT_100
    again = client.post(f"/donations/{donation.token}/card?lang=en", data={"card_token": _card_token(stripe_url)})
    assert again.status_code == 402 and "already been paid" in again.get_json()["error"]


def test_the_payment_step_reports_a_decline_to_the_donor(client, drive, gateway, stripe_url):
    donation = _pending(gateway, drive)
    resp = client.post(f"/donations/{donation.token}/card?lang=en",
                       data={"card_token": _card_token(stripe_url, "4000000000000341")})
    assert resp.status_code == 402
    assert resp.get_json()["error"] == "Your card was declined. Please try another card."
    assert trial_balance() == {}


def test_the_payment_step_hands_3d_secure_to_stripe_js(client, drive, gateway, stripe_url):
    donation = _pending(gateway, drive)
    resp = client.post(f"/donations/{donation.token}/card",
                       data={"card_token": _card_token(stripe_url, "4000002500003155")})
    answer = resp.get_json()
    assert answer["status"] == "requires_action"
    assert answer["client_secret"].startswith(donation.stripe_payment_intent + "_secret_")
    requests.post(f"{stripe_url}/v1/payment_intents/{donation.stripe_payment_intent}/_authenticate",
                  data={"client_secret": answer["client_secret"], "success": "true",
                        "key": "pk_test_wanjia"}, timeout=5)
    client.get(answer["next"])
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "succeeded"


def test_the_payment_step_refuses_a_bad_token(client, drive, gateway, stripe_url):
    donation = _pending(gateway, drive)
    for data in ({}, {"card_token": "tok_nope"}):
        assert client.post(f"/donations/{donation.token}/card", data=data).status_code == 402
    assert client.post("/donations/nobody/card", data={}).status_code == 404
