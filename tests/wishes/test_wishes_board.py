"""The public wish board, "I'll make this wish come true", the reservation page and the
progress JSON."""
import re

import sqlalchemy as sa

from campaigns.wishes import services
from campaigns.wishes.models import WishReservation
from core.extensions import db
from donate.models import Donation
from tests.wishes import support


def _cards(html):
    return [int(n) for n in re.findall(r'<li class="card wish" data-wish="(\d+)"', html)]


def test_the_board_shows_public_wishes_with_counts(client, make_wish, now):
    draft, cancelled = make_wish("draft"), make_wish("cancelled")
    a, b = make_wish(price="80"), make_wish(price="450", category="health", street="LJZ")
    support.pay_for(db.session, services.reserve_wish(db.session, b, "donor-a", now))
    db.session.commit()
    resp = client.get("/c/dongri-nuanyang/wishes?lang=en")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and _cards(html) == [b.id, a.id]
    assert draft.id not in _cards(html) and cancelled.id not in _cards(html)
    assert 'data-open="1" data-reserved="0" data-funded="1" data-delivered="0"' in html
    assert "1 open · 1 funded · 0 delivered" in html
    assert html.count("make this wish come true") == 1


def test_filters_and_sorting(client, make_wish):
    cheap = make_wish(price="50", category="study", street="HN")
    mid = make_wish(price="150", category="daily", street="ZQ")
    dear = make_wish(price="350", category="study", street="HN")
    get = lambda q: _cards(client.get(f"/c/dongri-nuanyang/wishes?{q}").get_data(as_text=True))  # noqa: E731
    assert get("sort=price") == [cheap.id, mid.id, dear.id]
    assert get("sort=price_desc") == [dear.id, mid.id, cheap.id]
    assert get("category=study") == [dear.id, cheap.id]
    assert get("street=ZQ") == [mid.id]
    assert get("band=100-300") == [mid.id]
    assert get("band=gt300&category=study") == [dear.id]
    assert get("category=<script>&sort=nonsense") == [dear.id, mid.id, cheap.id]


def test_unknown_and_pooled_drives_have_no_board(client, drive):
    assert client.get("/c/no-such-drive/wishes").status_code == 404


def test_progress_json_counts_wishes(client, make_wish):
    make_wish(), make_wish()
    services.reserve_wish(db.session, make_wish(), "donor-a")  # held from now on
    db.session.commit()
    body = client.get("/api/v1/campaigns/dongri-nuanyang").get_json()
    assert body["wishes"] == {"open": 2, "reserved": 1, "funded": 0, "delivered": 0}


def test_pressing_the_button_reserves_and_leads_to_payment(client, make_wish, gateway):
    wish = make_wish(price="150")
    resp = client.post(f"/c/dongri-nuanyang/wishes/{wish.id}/reserve")
    assert resp.status_code == 302 and "/wishes/r/" in resp.location
    page = client.get(resp.location + "?lang=en").get_data(as_text=True)
    assert "This wish is held for you until" in page
    resp = client.post(resp.location, data={"donor_name": "王五", "email": "wang@example.org"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="payment-form"' in html
    donation = db.session.scalar(sa.select(Donation))
    reservation = db.session.scalar(sa.select(WishReservation))
    assert (donation.amount_fen, donation.fee_cover_fen, donation.status) == (15_000, 0, "pending")
    assert donation.designation.fund_code == wish.campaign.fund_code
    assert reservation.donation_id == donation.id and donation.stripe_payment_intent


def test_two_donors_pressing_together_get_one_reservation(app, make_wish, english):
    wish, like = make_wish(price="150"), make_wish(price="160")
    first, second = app.test_client(), app.test_client()
    assert first.post(f"/c/dongri-nuanyang/wishes/{wish.id}/reserve").status_code == 302
    resp = second.post(f"/c/dongri-nuanyang/wishes/{wish.id}/reserve?lang=en")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "Someone has just taken this wish — here are three like it." in html
    assert f'<li data-wish="{like.id}">' in html
    assert len(support.reservations_of(db.session, wish.id)) == 1


def test_a_reservation_token_used_by_someone_else_is_refused(app, make_wish):
    wish = make_wish()
    mine, theirs = app.test_client(), app.test_client()
    location = mine.post(f"/c/dongri-nuanyang/wishes/{wish.id}/reserve").location
    resp = theirs.post(location + "?lang=en", data={"email": "thief@example.org"})
    assert resp.status_code == 409
    assert "This reservation belongs to someone else." in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0
    assert theirs.get("/wishes/r/not-a-token?lang=en").status_code == 409


def test_reserving_in_a_closed_drive_is_refused(client, make_wish, drive):
    from campaigns import services as campaign_services

    wish = make_wish()
    campaign_services.close_campaign(db.session, drive)
    db.session.commit()
    resp = client.post(f"/c/dongri-nuanyang/wishes/{wish.id}/reserve?lang=en")
    assert resp.status_code == 409 and "This drive is not taking gifts right now." in resp.get_data(as_text=True)
    assert support.reservations_of(db.session, wish.id) == []


def test_a_funded_or_cancelled_wish_cannot_be_reserved_on_the_web(client, make_wish, now):
    funded, cancelled = make_wish(), make_wish("cancelled")
    support.pay_for(db.session, services.reserve_wish(db.session, funded, "donor-a", now))
    db.session.commit()
    assert client.post(f"/c/dongri-nuanyang/wishes/{funded.id}/reserve").status_code == 409
    assert client.post(f"/c/dongri-nuanyang/wishes/{cancelled.id}/reserve").status_code == 404
    assert len(support.reservations_of(db.session, funded.id)) == 1


def test_paying_with_a_card_funds_the_wish_end_to_end(client, make_wish, gateway, stripe_url):
    import requests

    wish = make_wish(price="150")
    location = client.post(f"/c/dongri-nuanyang/wishes/{wish.id}/reserve").location
    client.post(location, data={"email": "wang@example.org"})
    donation = db.session.scalar(sa.select(Donation))
    token = requests.post(f"{stripe_url}/v1/tokens", data={
        "card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2030",
        "card[cvc]": "123", "key": "pk_test_wanjia"}, timeout=5).json()["id"]
    resp = client.post(f"/donations/{donation.token}/card", data={"card_token": token})
    assert resp.get_json()["status"] == "succeeded"
    db.session.expire_all()
    assert db.session.get(type(wish), wish.id).status == "funded"
    assert db.session.get(type(wish), wish.id).funded_donation_id == donation.id
    html = client.get(f"/donations/{donation.token}/thanks?lang=en").get_data(as_text=True)
    assert "Your gift makes this wish come true: “新书包” for 小雨，10–12岁." in html
