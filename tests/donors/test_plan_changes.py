"""What a donor changes on a monthly plan, against localstripe: card (a past-due month is paid
at once), pause and resume, amount, designation, cancel; and the sweep repairing a plan that
was changed at Stripe behind Wanjia's back."""
import pytest

from core.extensions import db
from donate import recurring, recurring_changes as changes
from donate.recurring_models import PlanTransitionError, RecurringPlan
from donate.services import DonationError
from tests.donate.giving_support import designation, trial_balance
from tests.donors.conftest import DECLINES, card_token, deliver, gifts_of, renew


def reload(plan):
    db.session.expire_all()
    return db.session.get(RecurringPlan, plan.id)


def test_a_new_card_pays_the_past_due_month_at_once(client, monthly, gateway):
    plan = monthly(5000)
    gateway.set_customer_card(plan.stripe_customer, card_token(gateway, DECLINES))
    deliver(client, "invoice.payment_failed", renew(gateway, plan))
    plan = reload(plan)
    assert plan.status == "past_due"
    assert changes.update_plan_card(db.session, gateway, plan, card_token(gateway)) == "active"
    db.session.commit()
    plan = reload(plan)
    assert (plan.status, plan.failed_count) == ("active", 0)
    assert [g.amount_fen for g in gifts_of(plan)] == [5000, 5000]
    assert trial_balance()[("DONATION_INCOME", "SF-LJZ")] == -10_000


def test_pause_stops_stripe_and_resume_charges_a_new_subscription(monthly, gateway):
    plan = monthly(5000)
    old_sub = plan.stripe_subscription
    recurring.pause_plan(db.session, gateway, plan)
    db.session.commit()
    assert gateway.retrieve_subscription(old_sub)["status"] == "canceled"
    assert (reload(plan).status, reload(plan).paused_reason) == ("paused", "donor")
    with pytest.raises(PlanTransitionError):
        recurring.pause_plan(db.session, gateway, reload(plan))
    changes.resume_plan(db.session, gateway, reload(plan))
    db.session.commit()
    plan = reload(plan)
    assert plan.status == "active" and plan.stripe_subscription != old_sub
    assert gateway.retrieve_subscription(plan.stripe_subscription)["status"] == "active"
    assert [g.amount_fen for g in gifts_of(plan)] == [5000, 5000]


def test_a_new_amount_is_charged_from_the_next_renewal_on(client, monthly, gateway):
    plan = monthly(5000)
    changes.change_plan_amount(db.session, gateway, plan, 8000)
    db.session.commit()
    plan = reload(plan)
    assert (plan.amount_fen, plan.stripe_plan, plan.status) == (8000, "wanjia-monthly-cny-8000", "active")
    assert len(gifts_of(plan)) == 1  # nothing charged today
    deliver(client, "invoice.paid", renew(gateway, plan))
    assert [g.amount_fen for g in gifts_of(plan)] == [5000, 8000]
    assert recurring.sweep_plans(db.session, gateway)["repaired"] == 0


def test_an_amount_below_the_monthly_minimum_is_refused_and_nothing_changes(monthly, gateway):
    plan = monthly(5000)
    with pytest.raises(DonationError) as err:
        changes.change_plan_amount(db.session, gateway, plan, 999)
    assert "10.00" in str(err.value.message)
    db.session.rollback()
    plan = reload(plan)
    assert plan.amount_fen == 5000
    assert gateway.retrieve_subscription(plan.stripe_subscription)["status"] == "active"


def test_a_new_designation_takes_the_next_gifts(client, monthly, gateway, drive):
    plan = monthly(5000)
    changes.change_plan_designation(db.session, gateway, plan, designation(drive, "GOODS-YN"))
    db.session.commit()
    deliver(client, "invoice.paid", renew(gateway, reload(plan)))
    assert [g.designation.fund_code for g in gifts_of(plan)] == ["SF-LJZ", "GOODS-YN"]
    assert trial_balance()[("DONATION_INCOME", "GOODS-YN")] == -5000


def test_cancel_ends_the_plan_and_keeps_its_gifts(monthly, gateway):
    plan = monthly(5000)
    changes.cancel_plan(db.session, gateway, plan)
    db.session.commit()
    plan = reload(plan)
    assert plan.status == "cancelled" and plan.cancelled_at is not None
    assert gateway.retrieve_subscription(plan.stripe_subscription)["status"] == "canceled"
    assert len(gifts_of(plan)) == 1
    with pytest.raises(PlanTransitionError):
        changes.resume_plan(db.session, gateway, plan)


def test_the_sweep_repairs_a_plan_changed_behind_wanjias_back(monthly, gateway):
    cancelled_there, repriced_there = monthly(5000), monthly(3000, email="b@example.org")
    gateway.cancel_subscription(cancelled_there.stripe_subscription)
    other = gateway.monthly_plan(7000, "CNY")
    sub = gateway.retrieve_subscription(repriced_there.stripe_subscription)
    gateway.client.v1.subscriptions.update(sub["id"], {"items": [{"id": sub["items"]["data"][0]["id"], "plan": other}]})
    totals = recurring.sweep_plans(db.session, gateway)
    db.session.commit()
    assert totals["repaired"] == 2
    assert reload(cancelled_there).status == "cancelled"
    assert (reload(repriced_there).amount_fen, reload(repriced_there).status) == (7000, "active")
    assert recurring.sweep_plans(db.session, gateway)["repaired"] == 0


def test_payments_sweep_reports_the_plans_it_reconciled(runner, monthly, gateway):
    plan = monthly(5000)
    renew(gateway, plan)
    gateway.cancel_subscription(plan.stripe_subscription)
    result = runner.invoke(args=["payments", "sweep"])
    assert result.exit_code == 0, result.output
    assert "monthly plans: 1 checked, 1 repaired, 1 renewal(s) booked, 0 not found at Stripe" in result.output
    assert reload(plan).status == "cancelled" and len(gifts_of(plan)) == 2


def test_stripe_cancelling_a_past_due_plan_pauses_it_by_webhook(client, monthly, gateway):
    plan = monthly(5000)
    gateway.set_customer_card(plan.stripe_customer, card_token(gateway, DECLINES))
    deliver(client, "invoice.payment_failed", renew(gateway, plan))
    sub = gateway.cancel_subscription(plan.stripe_subscription)
    assert deliver(client, "customer.subscription.deleted", sub)["outcome"] == "plan_synced:paused"
    assert reload(plan).status == "paused"
