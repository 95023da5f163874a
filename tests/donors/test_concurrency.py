"""On PostgreSQL: the same paid invoice reported at once by several events books one gift."""
import threading

import pytest
import sqlalchemy as sa

from core.extensions import db
from donate import recurring
from donate.models import Donation
from donate.recurring_models import RecurringPlan
from donate.stripe_gateway import StripeGateway

#: A paid invoice as Stripe reports it; no charge id, so no Stripe call is needed to book it.
INVOICE = {"id": "in_race", "subscription": "sub_race", "status": "paid", "amount_paid": 5000,
           "currency": "cny", "payment_intent": "pi_race", "charge": None,
           "status_transitions": {"paid_at": 1_790_000_000}}


def _plan():
    from campaigns import services as campaign_services
    from ledger.chart import seed_chart
    from ledger.posting import ensure_fund

    seed_chart(db.session)
    ensure_fund(db.session, "SF-LJZ", name_zh="陆家嘴", name_en="Lujiazui", restriction="restricted",
                kind="subfund")
    drive = campaign_services.create_campaign(db.session, campaign_services.CampaignInput(
        slug="monthly-race", title_zh="月捐", designation_funds=("SF-LJZ",)))
    campaign_services.change_status(db.session, drive, "publish")
    plan = RecurringPlan(campaign=drive, designation=drive.designations[0], amount_fen=5000,
                         email="a@example.org", status="active", stripe_subscription="sub_race")
    db.session.add(plan)
    db.session.commit()


@pytest.mark.postgres
def test_one_invoice_reported_four_times_at_once_books_once(pg_app):
    _plan()
    gateway = StripeGateway("sk_test_unused", "http://127.0.0.1:9")
    errors, barrier = [], threading.Barrier(4)

    def report():
        with pg_app.app_context():
            barrier.wait()
            try:
                recurring.book_renewal(db.session, gateway, dict(INVOICE))
                db.session.commit()
            except Exception as err:  # noqa: BLE001 - reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=report) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    gifts = db.session.scalars(sa.select(Donation)).all()
    assert [(g.stripe_invoice, g.status, g.receipt_number[-6:]) for g in gifts] == [
        ("in_race", "succeeded", "000001")]
