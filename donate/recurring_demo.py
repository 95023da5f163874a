"""Demo monthly donors for ``flask --app wsgi demo seed``: plans on the "万人捐、帮万家" drive
(``wanren-juan``) with a few months already given, booked through the real booking service.
No Stripe is needed: the plans carry ``demo_…`` ids (the sweep reports them as not found at
Stripe and leaves them alone), and each month's gift has the ref ``demo:plan:<n>:<month>``.
Idempotent: a plan already there (by its demo subscription id) is skipped."""
from datetime import timedelta

import sqlalchemy as sa

from campaigns.models import Campaign
from core.auth import utcnow
from donate import services
from donate.models import Donation
from donate.recurring_models import ACTIVE, CANCELLED, PAST_DUE, PAUSED, RecurringPlan
from ledger.periods import books_date

#: email, name, monthly fen, designation index, months given, status.
DEMO_PLANS = [
    ("zhang.wei@example.org", "张伟", 5000, 0, 4, ACTIVE),
    ("wang.fang@example.org", "王芳", 10000, 1, 3, ACTIVE),
    ("li.na@example.org", "李娜", 2000, 2, 6, ACTIVE),
    ("alice.chen@example.org", "Alice Chen", 20000, 0, 2, PAST_DUE),
    ("liu.yang@example.org", "刘洋", 3000, 1, 5, PAUSED),
    ("chen.jing@example.org", "陈静", 1000, 2, 2, CANCELLED),
]


def seed_plans(session) -> int:
    """Add the demo plans and their past months; returns how many plans were new."""
    campaign = session.scalar(sa.select(Campaign).filter_by(slug="wanren-juan"))
    if campaign is None or not campaign.designations:
        return 0
    made = 0
    for n, row in enumerate(DEMO_PLANS, start=1):
        if session.scalar(sa.select(RecurringPlan.id).filter_by(stripe_subscription=f"demo_sub_{n}")):
            continue
        plan = _demo_plan(session, campaign, n, row)
        for month in range(1, row[4] + 1):
            _book_month(session, plan, n, month, months_ago=row[4] - month)
        made += 1
    session.flush()
    return made


def _demo_plan(session, campaign, n: int, row) -> RecurringPlan:
    email, name, fen, index, _months, status = row
    live = status in (ACTIVE, PAST_DUE)
    plan = RecurringPlan(
        campaign=campaign, designation=campaign.designations[index % len(campaign.designations)],
        amount_fen=fen, currency=campaign.currency, email=email, donor_name=name, status=status,
        stripe_customer=f"demo_cus_{n}", stripe_subscription=f"demo_sub_{n}",
        stripe_plan=f"wanjia-monthly-{campaign.currency.lower()}-{fen}",
        next_charge_on=books_date() + timedelta(days=3 * n) if live else None,
        failed_count=1 if status == PAST_DUE else 0,
        paused_reason="donor" if status == PAUSED else "",
        cancelled_at=utcnow() if status == CANCELLED else None)
    session.add(plan)
    session.flush()
    return plan


def _book_month(session, plan, n: int, month: int, months_ago: int) -> None:
    gift = Donation(
        campaign=plan.campaign, designation=plan.designation, amount_fen=plan.amount_fen,
        currency=plan.currency, donor_name=plan.donor_name, email=plan.email, channel="online",
        plan_id=plan.id, source_ref=f"demo:plan:{n}:{month}")
    session.add(gift)
    session.flush()
    services.book_donation_succeeded(session, gift, when=utcnow() - timedelta(days=30 * months_ago))
