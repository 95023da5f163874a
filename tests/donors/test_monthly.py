"""Monthly giving against localstripe: a plan starts with the first month booked, each paid
invoice is one gift (ledger entry, gapless receipt number, receipt email), a renewal reported
twice or three ways books once, and a failed renewal tells the donor and pauses at the end."""
import sqlalchemy as sa

from core.extensions import db
from donate import recurring
from donate.models import Donation, OutboxMessage
from donate.recurring_models import RecurringPlan
from tests.donate.giving_support import count, trial_balance
from tests.donors.conftest import DECLINES, card_token, deliver, gifts_of, renew


def ledger(fen):
    return {("PROCESSOR_CLEARING", "SF-LJZ"): fen, ("DONATION_INCOME", "SF-LJZ"): -fen}


def test_a_plan_starts_with_its_first_month_booked(monthly):
    plan = monthly(5000)
    assert plan.status == "active" and plan.stripe_subscription.startswith("sub_")
    assert plan.stripe_plan == "wanjia-monthly-cny-5000" and plan.next_charge_on is not None
    [gift] = gifts_of(plan)
    assert (gift.status, gift.amount_fen, gift.channel, gift.email) == ("succeeded", 5000, "online", "donor@example.org")
    assert gift.stripe_invoice.startswith("in_") and gift.stripe_payment_intent.startswith("pi_")
    assert gift.receipt_number.endswith("-000001")
    assert trial_balance() == ledger(5000)


def test_three_renewals_are_three_gifts_with_gapless_receipts(client, monthly, gateway):
    plan = monthly(5000)
    for _ in range(3):
        answer = deliver(client, "invoice.paid", renew(gateway, plan))
        assert answer["outcome"] == "renewal_booked"
    gifts = gifts_of(plan)
    assert [g.amount_fen for g in gifts] == [5000] * 4
    assert [g.receipt_number[-6:] for g in gifts] == ["000001", "000002", "000003", "000004"]
    assert len({g.entry_id for g in gifts}) == 4
    assert trial_balance() == ledger(20_000)
    receipts = db.session.scalars(sa.select(OutboxMessage.dedup_key).where(
        OutboxMessage.dedup_key.like("receipt:%"))).all()
    assert sorted(receipts) == sorted(f"receipt:{g.receipt_number}" for g in gifts)


def test_a_renewal_delivered_twice_and_three_ways_books_once(client, monthly, gateway):
    plan = monthly(5000)
    invoice = renew(gateway, plan)
    first = deliver(client, "invoice.paid", invoice, event_id="evt_paid_1")
    again = deliver(client, "invoice.paid", invoice, event_id="evt_paid_1")
    other = deliver(client, "invoice.payment_succeeded", invoice)
    pi = gateway.retrieve_payment_intent(invoice["payment_intent"])
    via_pi = deliver(client, "payment_intent.succeeded", pi)
    assert (first["outcome"], again["outcome"]) == ("renewal_booked", "duplicate")
    assert (other["outcome"], via_pi["outcome"]) == ("renewal_booked", "already_booked")
    assert len(gifts_of(plan)) == 2 and trial_balance() == ledger(10_000)


def test_the_sweep_books_a_renewal_whose_event_was_lost(monthly, gateway):
    plan = monthly(5000)
    renew(gateway, plan)
    totals = recurring.sweep_plans(db.session, gateway)
    db.session.commit()
    assert totals == {"checked": 1, "repaired": 0, "booked": 1, "unreachable": 0}
    assert len(gifts_of(plan)) == 2 and trial_balance() == ledger(10_000)
    assert recurring.sweep_plans(db.session, gateway)["booked"] == 0


def _decline_next(gateway, plan):
    gateway.set_customer_card(plan.stripe_customer, card_token(gateway, DECLINES))
    return renew(gateway, plan)


def test_a_failed_renewal_makes_the_plan_past_due_and_emails_a_card_link(client, monthly, gateway):
    plan = monthly(5000)
    invoice = _decline_next(gateway, plan)
    assert invoice["status"] == "open"
    assert deliver(client, "invoice.payment_failed", invoice)["outcome"] == "renewal_failed:past_due"
    db.session.expire_all()
    plan = db.session.get(RecurringPlan, plan.id)
    assert (plan.status, plan.failed_count) == ("past_due", 1)
    mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.dedup_key.like("plan-failed:%")))
    assert mail.to_addr == "donor@example.org" and "/donor/card/" in mail.body
    assert len(gifts_of(plan)) == 1 and trial_balance() == ledger(5000)


def test_the_final_failure_pauses_the_plan_and_stops_the_subscription(client, app, monthly, gateway):
    app.config["RECURRING_MAX_FAILURES"] = 2
    plan = monthly(5000)
    for n in (1, 2):
        outcome = deliver(client, "invoice.payment_failed", _decline_next(gateway, plan))["outcome"]
    assert outcome == "renewal_failed:paused"
    db.session.expire_all()
    plan = db.session.get(RecurringPlan, plan.id)
    assert (plan.status, plan.paused_reason, plan.next_charge_on) == ("paused", "payment_failed", None)
    assert gateway.retrieve_subscription(plan.stripe_subscription)["status"] == "canceled"
    assert count(OutboxMessage) == 3  # the first receipt and two failure notes
    assert count(Donation) == 1
