"""The donate form and its bad-input catalogue: every refusal is a clear 4xx that writes
nothing; a good form creates one pending donation and one PaymentIntent."""
import pytest
import sqlalchemy as sa

from core.extensions import db
from donate.models import Donation, FailedPaymentAttempt

from tests.donate.giving_support import count, donate_form


def post(client, drive, lang="en", **fields):
    resp = client.post(f"/c/{drive.slug}/donate?lang={lang}", data=donate_form(drive, **fields))
    return resp.status_code, resp.get_data(as_text=True)


def test_form_shows_presets_designations_and_the_fee_rule(client, drive):
    resp = client.get(f"/c/{drive.slug}/donate?lang=en")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'value="5000"' in html and "CN¥50.00" in html
    assert html.count('name="designation"') == len(drive.designations) >= 2
    assert "Adds 0.60% of your gift, rounded up to the fen: CN¥0.60 on CN¥100.00." in html
    assert 'name="website"' in html and 'class="hp"' in html
    assert "<script>" not in html and "js/donate.js" in html


def test_a_good_form_creates_a_pending_donation_and_a_payment_intent(client, drive, stripe_url):
    status, html = post(client, drive, custom_amount="100", cover_fee="y", message="<b>加油</b>")
    assert status == 200, html
    donation = db.session.scalar(sa.select(Donation))
    assert donation.status == "pending"
    assert (donation.amount_fen, donation.fee_cover_fen, donation.gift_fen) == (10_060, 60, 10_000)
    assert donation.stripe_payment_intent.startswith("pi_")
    assert donation.message == "<b>加油</b>" and donation.client_ip == "127.0.0.1"
    assert "CN¥100.60" in html and "CN¥0.60" in html
    assert f'data-client-secret="{donation.stripe_payment_intent}_secret_' in html
    assert f"{stripe_url}/js.stripe.com/v3/" in html
    assert f"/donations/{donation.token}/thanks" in html


def test_a_preset_amount_is_taken_as_is(client, drive, stripe_url):
    status, _html = post(client, drive, preset="20000", custom_amount="")
    assert status == 200
    assert db.session.scalar(sa.select(Donation.amount_fen)) == 20_000


@pytest.mark.parametrize("amount, message", [
    ("abc", "Enter an amount in yuan, like 50 or 12.50"),
    ("-5", "The amount must be more than zero."),
    ("0", "The amount must be more than zero."),
    ("0.001", "Enter an amount in yuan, like 50 or 12.50"),
    ("1e9", "Enter an amount in yuan, like 50 or 12.50"),
    ("", "Please enter an amount."),
    ("NaN", "Enter an amount in yuan, like 50 or 12.50"),
    ("50000.01", "The largest gift online is CN¥50,000.00."),
    ("0.99", "The smallest gift is CN¥1.00."),
])
def test_bad_amounts_are_refused_and_write_nothing(client, drive, amount, message):
    status, html = post(client, drive, custom_amount=amount)
    assert status == 400
    assert message in html
    assert count(Donation) == 0


def test_a_preset_that_is_not_offered_is_refused(client, drive):
    status, html = post(client, drive, preset="1")
    assert status == 400 and "Please choose one of the amounts shown" in html


def test_a_designation_not_offered_by_the_drive_is_refused(client, drive, make_drive):
    other = make_drive("live", slug="other", designation_funds=("SF-HN",))
    status, html = post(client, drive, designation=str(other.designations[0].id))
    assert status == 400 and "Please choose one of this drive" in html
    status, _ = post(client, drive, designation="x")
    assert status == 400 and count(Donation) == 0


def test_a_message_over_200_characters_is_refused(client, drive):
    status, html = post(client, drive, message="好" * 201)
    assert status == 400 and "200" in html and count(Donation) == 0


def test_a_bad_email_is_refused(client, drive):
    status, html = post(client, drive, email="not-an-email")
    assert status == 400 and count(Donation) == 0


@pytest.mark.parametrize("status_name, text", [
    ("paused", "This drive is paused and is not taking gifts right now."),
    ("closed", "This drive has closed and no longer takes gifts."),
])
def test_paused_and_closed_drives_refuse_gifts(client, make_drive, status_name, text):
    drive = make_drive(status_name)
    assert text in client.get(f"/c/{drive.slug}/donate?lang=en").get_data(as_text=True)
    status, html = post(client, drive)
    assert status == 409 and text in html and count(Donation) == 0


def test_draft_and_unknown_drives_are_not_found(client, make_drive):
    draft = make_drive("draft")
    assert client.get(f"/c/{draft.slug}/donate").status_code == 404
    assert client.post(f"/c/{draft.slug}/donate", data=donate_form(draft)).status_code == 404
    assert client.get("/c/no-such-drive/donate").status_code == 404


def test_the_honeypot_refuses_bots_quietly(client, drive):
    status, _ = post(client, drive, website="http://spam.example")
    assert status == 400 and count(Donation) == 0


def test_missing_csrf_token_is_refused(drive, app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    resp = client.post(f"/c/{drive.slug}/donate?lang=en", data=donate_form(drive))
    assert resp.status_code == 400
    assert "The form has expired" in resp.get_data(as_text=True)
    assert count(Donation) == 0


def test_html_in_name_and_message_is_escaped_on_the_thank_you_page(client, drive, stripe_url):
    status, _ = post(client, drive, donor_name="<script>x()</script>",
                     message='<img src=x onerror="alert(1)">')
    assert status == 200
    donation = db.session.scalar(sa.select(Donation))
    html = client.get(f"/donations/{donation.token}/thanks?lang=en").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
    assert "<script>x()" not in html


def test_thank_you_page_needs_the_token(client, drive):
    assert client.get("/donations/1/thanks").status_code == 404


def test_an_address_with_too_many_failed_payments_is_locked_out(client, drive, app, stripe_url):
    app.config["DONATE_FAILED_PAYMENT_LIMIT"] = 3
    for _ in range(3):
        db.session.add(FailedPaymentAttempt(client_ip="127.0.0.1"))
    db.session.commit()
    status, html = post(client, drive)
    assert status == 400 and "Too many failed payments from your connection." in html
    assert count(Donation) == 0


def test_creating_payment_intents_is_rate_limited_per_email(client, drive, app, stripe_url):
    app.config["DONATE_RATE_LIMIT_EMAIL"] = "2 per minute"
    assert [post(client, drive)[0] for _ in range(3)] == [200, 200, 429]
    assert count(Donation) == 2


def test_the_donate_page_labels_every_field_and_has_one_heading(client, drive):
    from tests.test_foundation import _PageAudit

    html = client.get(f"/c/{drive.slug}/donate?lang=en").get_data(as_text=True)
    assert _PageAudit().audit(html) == []
