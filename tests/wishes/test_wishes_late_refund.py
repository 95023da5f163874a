"""A drive set to refund late gifts refunds them through Stripe (localstripe) when they are
booked; a refund Stripe refuses stays on the staff page to retry. The donor is told either
way. And a donor who reloads the payment page within the hold sees the card form again."""
from datetime import timedelta

import requests
import sqlalchemy as sa

from campaigns.wishes import services
from campaigns.wishes.models import Wish, WishReservation
from core.extensions import db
from donate import services as giving_services
from donate.models import Donation, DonationRefund, OutboxMessage
from ledger.balances import fund_net_assets
from tests.wishes import support


def _card_gift(gateway, wish, email):
    """A gift for ``wish`` paid by card at Stripe (confirmed at creation), not yet booked."""
    campaign = wish.campaign
    donation, _pi = giving_services.create_donation(
        db.session, gateway, campaign=campaign, designation=campaign.designation_for(campaign.fund_code),
        gift_fen=wish.price_fen, cover_fee=False, email=email, client_ip="203.0.113.9",
        payment_method="pm_card_visa", confirm=True)
    return donation


def _late_card_gift(gateway, make_wish, drive, now):
    """Donor A's hold runs out while paying by card; donor B funds the wish meanwhile."""
    services.drive_settings(db.session, drive).refund_late_gifts = True
    wish = make_wish(price="150")
    late = services.reserve_wish(db.session, wish, "donor-a", now)
    gift = _card_gift(gateway, wish, "late@example.org")
    services.attach_donation(db.session, late, gift.id)
    db.session.commit()
    support.pay_for(db.session, services.reserve_wish(db.session, wish, "donor-b", now + timedelta(minutes=16)),
                    "first@example.org")
    db.session.commit()
    return wish, late, gift


def _late_mail():
    return db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.dedup_key.like("wish-late:%")))


def test_a_late_card_gift_is_refunded_at_once_and_the_donor_told(gateway, make_wish, drive, now, client, english):
    wish, late, gift = _late_card_gift(gateway, make_wish, drive, now)
    assert giving_services.sync_donation(db.session, gateway, gift) is True
    db.session.commit()
    db.session.expire_all()
    gift = db.session.get(Donation, gift.id)
    assert (gift.status, gift.refunded_fen, gift.net_fen) == ("refunded", 15_000, 0)
    refund = db.session.scalar(sa.select(DonationRefund).filter_by(donation_id=gift.id))
    assert refund.amount_fen == 15_000 and refund.stripe_refund.startswith("re_")
    assert db.session.get(WishReservation, late.id).status == "refunded"
    assert db.session.get(Wish, wish.id).events[-1].action == "late_refund"
    # Only donor B's ¥150 stays in the drive's fund; Stripe holds the refund too.
    assert fund_net_assets(db.session, drive.fund_code) == 15_000
    at_stripe = requests.get(f"{gateway.api_base}/v1/refunds/{refund.stripe_refund}",
                             auth=("sk_test_wanjia", ""), timeout=5).json()
    assert (at_stripe["amount"], at_stripe["payment_intent"]) == (15_000, gift.stripe_payment_intent)
    mail = _late_mail()
    assert mail.to_addr == "late@example.org"
    assert "We have refunded your gift of CN¥150.00 in full" in mail.body
    html = client.get(f"/donations/{gift.token}/thanks?lang=en").get_data(as_text=True)
    assert 'data-reservation="refunded"' in html and "We have refunded your gift in full" in html


def test_a_refund_stripe_refuses_waits_for_staff_who_retry(gateway, make_wish, drive, now, client, login, app, english):
    _wish, late, gift = _late_card_gift(gateway, make_wish, drive, now)
    good_base = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # Stripe unreachable while booking
    giving_services.book_donation_succeeded(db.session, gift)
    db.session.commit()
    app.config["STRIPE_API_BASE"] = good_base
    assert db.session.get(WishReservation, late.id).status == "refund_requested"
    assert db.session.get(Donation, gift.id).status == "succeeded"
    assert "We will refund your gift in full." in _late_mail().body
    assert fund_net_assets(db.session, drive.fund_code) == 30_000
    login("staff")
    html = client.get(f"/staff/wishes/drives/{drive.slug}?lang=en").get_data(as_text=True)
    assert f'data-reservation="{late.id}"' in html and "Refund now" in html
    resp = client.post(f"/staff/wishes/late-gifts/{late.id}/refund?lang=en", follow_redirects=True)
    assert f"Gift #{gift.id} was refunded in full." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WishReservation, late.id).status == "refunded"
    assert db.session.get(Donation, gift.id).status == "refunded"
    assert fund_net_assets(db.session, drive.fund_code) == 15_000
    assert client.post(f"/staff/wishes/late-gifts/{late.id}/refund").status_code == 404


def test_the_retry_is_for_staff_only(client, make_wish, now):
    assert client.post("/staff/wishes/late-gifts/1/refund").status_code == 302  # to the login page


def test_a_donor_who_reloads_sees_the_card_form_again(client, make_wish, gateway):
    wish = make_wish(price="150")
    location = client.post(f"/c/dongri-nuanyang/wishes/{wish.id}/reserve").location
    assert 'id="payment-form"' in client.post(location, data={"email": "wang@example.org"}).get_data(as_text=True)
    again = client.get(location)
    html = again.get_data(as_text=True)
    donation = db.session.scalar(sa.select(Donation))
    assert again.status_code == 200 and 'id="payment-form"' in html
    assert f"/donations/{donation.token}/card" in html and 'data-client-secret="pi_' in html
    client.post(location, data={"email": "other@example.org"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 1
    giving_services.book_donation_succeeded(db.session, donation)
    db.session.commit()
    paid = client.get(location)
    assert paid.status_code == 302 and paid.location.endswith(f"/donations/{donation.token}/thanks")


def test_a_gift_refunded_meanwhile_is_only_marked_on_retry(gateway, make_wish, drive, now, client, login, app):
    _wish, late, gift = _late_card_gift(gateway, make_wish, drive, now)
    good_base = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    giving_services.book_donation_succeeded(db.session, gift)
    db.session.commit()
    app.config["STRIPE_API_BASE"] = good_base
    refund = gateway.create_refund(gift.stripe_payment_intent)  # e.g. from Stripe's dashboard
    giving_services.book_refund(db.session, gift, refund["id"], int(refund["amount"]))  # its webhook
    db.session.commit()
    login("staff")
    assert client.post(f"/staff/wishes/late-gifts/{late.id}/refund").status_code == 302
    db.session.expire_all()
    assert db.session.get(WishReservation, late.id).status == "refunded"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DonationRefund)) == 1
    assert fund_net_assets(db.session, drive.fund_code) == 15_000
