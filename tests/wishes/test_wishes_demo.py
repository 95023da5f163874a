"""The demo wishes: every status, through the services, idempotent."""
import sqlalchemy as sa

from campaigns.demo import seed_office
from campaigns.wishes import state
from campaigns.wishes.models import Wish
from core.extensions import db
from donate.wishes import seed_wish_gifts
from ledger.balances import fund_net_assets


def _statuses():
    return sorted(db.session.scalars(sa.select(Wish.status)).all())


def test_the_demo_has_a_wish_in_every_status_and_seeds_once(app):
    seed_office(db.session)
    db.session.commit()
    assert set(_statuses()) == {"draft", "open", "reserved", "cancelled"}
    assert seed_wish_gifts(db.session) == 11
    db.session.commit()
    assert set(_statuses()) == set(state.STATUSES)
    before, fund = _statuses(), db.session.scalar(sa.select(Wish)).campaign.fund_code
    held = fund_net_assets(db.session, fund)
    seed_office(db.session)
    seed_wish_gifts(db.session)
    db.session.commit()
    assert _statuses() == before and fund_net_assets(db.session, fund) == held
    # Four gifts; three bought for ¥3 under their price; the funded ¥120 basketball not yet.
    assert held == 12_000 + 3 * 300


def test_the_wishes_demo_command(runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["wishes", "demo"])
    assert result.exit_code == 0 and "11 demo wish(es) ready" in result.output
    assert set(_statuses()) == set(state.STATUSES)


def test_the_demo_pooled_wish_has_two_parts_paid_once(app):
    from donate.models import Donation
    from donate.wishes import seed_pooled_demo_wish

    seed_office(db.session)
    seed_wish_gifts(db.session)
    db.session.commit()
    wish = seed_pooled_demo_wish(db.session)
    db.session.commit()
    assert (wish.pooled, wish.status, wish.funded_fen, wish.price_fen) == (True, "open", 30_000, 48_000)
    assert seed_pooled_demo_wish(db.session).funded_fen == 30_000
    db.session.commit()
    parts = db.session.scalars(sa.select(Donation.amount_fen).where(Donation.source_ref.like("demo-wish:%:part:%"))).all()
    assert sorted(parts) == [10_000, 20_000]
    assert sum(not w.pooled for w in db.session.scalars(sa.select(Wish))) == 11
