"""Done when: a monthly plan started on the donate form runs through three renewals, a failed
renewal fixed with a new card from the emailed link, a pause, a resume and a cancellation — and
at every step the ledger, the receipt numbers and the donor's page agree."""
import re

import sqlalchemy as sa

from core.extensions import db
from donate.models import Donation, OutboxMessage
from donate.recurring_models import RecurringPlan
from tests.donate.giving_support import designation, donate_form, trial_balance
from tests.donors.conftest import DECLINES, card_token, deliver, renew, sign_in

EMAIL = "monthly@example.org"


def plan_now() -> RecurringPlan:
    db.session.expire_all()
    return db.session.scalar(sa.select(RecurringPlan))


def agree(client, gifts: int, status: str) -> None:
    """Ledger, receipts and the donor page tell the same story: ``gifts`` gifts of ¥50."""
    rows = db.session.scalars(sa.select(Donation).order_by(Donation.id)).all()
    assert [g.amount_fen for g in rows] == [5000] * gifts
    assert trial_balance() == {("PROCESSOR_CLEARING", "SF-LJZ"): 5000 * gifts,
                               ("DONATION_INCOME", "SF-LJZ"): -5000 * gifts}
    assert [int(g.receipt_number[-6:]) for g in rows] == list(range(1, gifts + 1))
    page = client.get("/donor/?lang=en").get_data(as_text=True)
    assert sorted(re.findall(r'data-receipt="([^"]+)"', page)) == sorted(g.receipt_number for g in rows)
    assert f'id="gifts-total-CNY">CN¥{50 * gifts:,}.00<' in page
    assert f'data-status="{status}" data-amount="5000"' in page
    assert plan_now().status == status


def start_on_the_form(client, drive, gateway):
    form = donate_form(drive, frequency="monthly", custom_amount="50", email=EMAIL,
                       designation=str(designation(drive, "SF-LJZ").id))
    page = client.post(f"/c/{drive.slug}/donate?lang=en", data=form).get_data(as_text=True)
    url = re.search(r'data-confirm-url="([^"]+)"', page).group(1)
    assert client.post(url, data={"card_token": card_token(gateway)}).get_json()["status"] == "active"


def test_a_monthly_plan_from_start_to_cancellation(client, drive, gateway, webhook_secret):
    start_on_the_form(client, drive, gateway)
    sign_in(client, EMAIL)
    agree(client, 1, "active")
    for month in (2, 3, 4):
        deliver(client, "invoice.paid", renew(gateway, plan_now()))
        agree(client, month, "active")

    # A declined renewal: past due, an email with a link to change the card.
    gateway.set_customer_card(plan_now().stripe_customer, card_token(gateway, DECLINES))
    deliver(client, "invoice.payment_failed", renew(gateway, plan_now()))
    agree(client, 4, "past_due")
    mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.dedup_key.like("plan-failed:%")))
    card_link = re.search(r"/donor/card/\S+", mail.body).group(0)
    client.post("/donor/sign-out")
    card_page = client.get(card_link)
    assert card_page.status_code == 302 and card_page.location.endswith(f"/donor/plans/{plan_now().id}/card")
    answer = client.post(card_page.location, data={"card_token": card_token(gateway)}).get_json()
    assert answer["status"] == "active"
    agree(client, 5, "active")

    plan_id, first_sub = plan_now().id, plan_now().stripe_subscription
    assert client.post(f"/donor/plans/{plan_id}/pause").status_code == 302
    assert gateway.retrieve_subscription(first_sub)["status"] == "canceled"
    agree(client, 5, "paused")
    assert client.post(f"/donor/plans/{plan_id}/resume").status_code == 302
    agree(client, 6, "active")  # resuming gives this month's gift at once
    deliver(client, "invoice.paid", renew(gateway, plan_now()))
    agree(client, 7, "active")

    assert client.post(f"/donor/plans/{plan_id}/cancel").status_code == 302
    agree(client, 7, "cancelled")
    assert gateway.retrieve_subscription(plan_now().stripe_subscription)["status"] == "canceled"
    refused = client.post(f"/donor/plans/{plan_id}/resume?lang=en")
    assert refused.status_code == 400 and "cannot be changed" in refused.get_data(as_text=True)
    agree(client, 7, "cancelled")


def test_a_changed_card_link_that_was_tampered_with_is_refused(client, drive, gateway, webhook_secret):
    start_on_the_form(client, drive, gateway)
    resp = client.get("/donor/card/eyJwbGFuIjoxfQ.forged.sig?lang=en")
    assert resp.status_code == 400 and "not valid" in resp.get_data(as_text=True)
    assert client.get("/donor/").status_code == 302
