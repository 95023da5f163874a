"""Choosing "monthly" on the donate form: the same designations, a minimum monthly amount, an
email required, the card page, and a declined card leaving nothing charging."""
import re

import sqlalchemy as sa

from core.extensions import db
from donate.models import Donation
from donate.recurring_models import RecurringPlan
from tests.donate.giving_support import count, designation, donate_form, trial_balance
from tests.donors.conftest import DECLINES, card_token


def start(client, drive, **fields):
    fields.setdefault("designation", str(designation(drive, "SF-LJZ").id))
    return client.post(f"/c/{drive.slug}/donate?lang=en", data=donate_form(drive, frequency="monthly", **fields))


def card_url(resp) -> str:
    return re.search(r'data-confirm-url="([^"]+)"', resp.get_data(as_text=True)).group(1)


def test_monthly_on_the_donate_form_starts_a_plan_with_the_card(client, drive, gateway):
    resp = start(client, drive, custom_amount="30")
    assert resp.status_code == 200 and "every month" in resp.get_data(as_text=True)
    plan = db.session.scalar(sa.select(RecurringPlan))
    assert (plan.status, plan.amount_fen, plan.email) == ("incomplete", 3000, "donor@example.org")
    answer = client.post(card_url(resp), data={"card_token": card_token(gateway)}).get_json()
    assert answer["status"] == "active"
    thanks = client.get(answer["next"] + "?lang=en").get_data(as_text=True)
    assert 'data-status="active"' in thanks and "-000001" in thanks
    gift = db.session.scalar(sa.select(Donation))
    assert (gift.plan_id, gift.amount_fen, gift.status) == (plan.id, 3000, "succeeded")
    assert trial_balance() == {("PROCESSOR_CLEARING", "SF-LJZ"): 3000, ("DONATION_INCOME", "SF-LJZ"): -3000}


def test_a_monthly_amount_below_the_minimum_is_refused(client, drive, gateway):
    resp = start(client, drive, custom_amount="9.99")
    assert resp.status_code == 400
    assert "The smallest monthly gift is CN¥10.00." in resp.get_data(as_text=True)
    assert count(RecurringPlan) == 0 and count(Donation) == 0


def test_a_monthly_gift_needs_an_email(client, drive, gateway):
    resp = start(client, drive, email="")
    assert resp.status_code == 400 and "needs your email" in resp.get_data(as_text=True)
    assert count(RecurringPlan) == 0


def test_a_declined_card_leaves_nothing_charging(client, drive, gateway):
    resp = start(client, drive)
    answer = client.post(card_url(resp), data={"card_token": card_token(gateway, DECLINES)})
    assert answer.status_code == 402 and "declined" in answer.get_json()["error"]
    db.session.expire_all()
    plan = db.session.scalar(sa.select(RecurringPlan))
    assert plan.status == "incomplete" and plan.stripe_subscription is None
    subs = gateway.client.v1.subscriptions.list({"status": "all"})["data"]
    assert [s["status"] for s in subs] == ["canceled"]
    assert count(Donation) == 0 and trial_balance() == {}


def test_the_one_off_gift_is_unchanged(client, drive, gateway):
    resp = client.post(f"/c/{drive.slug}/donate?lang=en", data=donate_form(drive))
    assert resp.status_code == 200 and count(RecurringPlan) == 0 and count(Donation) == 1


def test_declined_cards_on_the_monthly_form_count_against_the_address(client, app, drive, gateway):
    from donate.models import FailedPaymentAttempt

    app.config["DONATE_FAILED_PAYMENT_LIMIT"] = 2
    for _ in range(2):
        answer = client.post(card_url(start(client, drive)), data={"card_token": card_token(gateway, DECLINES)})
        assert answer.status_code == 402
    assert count(FailedPaymentAttempt) == 2
    locked = client.post(card_url(start(client, drive)) + "?lang=en", data={"card_token": card_token(gateway)})
    assert locked.status_code == 402 and "Too many failed payments" in locked.get_json()["error"]
    assert count(Donation) == 0
