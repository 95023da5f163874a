"""The demo seed's monthly donors: plans on 万人捐、帮万家 with their months booked, once."""
import sqlalchemy as sa

from campaigns.demo import seed_office
from core.extensions import db
from donate.models import Donation
from donate.recurring_demo import DEMO_PLANS, seed_plans
from donate.recurring_models import RecurringPlan
from tests.donors.conftest import sign_in


def test_demo_plans_are_seeded_once_with_their_months_booked(app, client):
    seed_office(db.session)
    db.session.commit()
    assert seed_plans(db.session) == len(DEMO_PLANS)
    db.session.commit()
    assert seed_plans(db.session) == 0
    plans = db.session.scalars(sa.select(RecurringPlan).order_by(RecurringPlan.id)).all()
    assert [p.status for p in plans] == [row[5] for row in DEMO_PLANS]
    assert {p.campaign.slug for p in plans} == {"wanren-juan"}
    gifts = db.session.scalars(sa.select(Donation).where(Donation.plan_id.is_not(None))).all()
    assert len(gifts) == sum(row[4] for row in DEMO_PLANS)
    assert all(g.status == "succeeded" and g.receipt_number and g.entry_id for g in gifts)
    assert sum(g.amount_fen for g in gifts) == sum(row[2] * row[4] for row in DEMO_PLANS)
    page = sign_in(client, "zhang.wei@example.org").get_data(as_text=True)
    assert page.count('class="gift"') == 4 and 'data-status="active" data-amount="5000"' in page
