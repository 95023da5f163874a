"""Reservations: one holder at a time, holds that run out (time travel with ``now``), and
the conditional UPDATE proven under threads on SQLite and on PostgreSQL."""
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from campaigns.wishes import services, state
from campaigns.wishes.models import Wish, WishReservation
from core.extensions import db
from ledger.balances import fund_net_assets
from tests.wishes import support


def test_a_reservation_holds_the_wish_for_fifteen_minutes(make_wish, now):
    wish = make_wish()
    held = services.reserve_wish(db.session, wish, "donor-a", now)
    db.session.commit()
    assert (wish.status, wish.reserved_until) == ("reserved", now + timedelta(minutes=15))
    assert (held.status, held.expires_at, held.donor_key) == ("held", now + timedelta(minutes=15), "donor-a")


def test_a_second_donor_gets_one_clear_message_and_three_like_it(make_wish, now, english):
    wish = make_wish(price="150")
    others = [make_wish(price=p) for p in ("140", "160", "480", "300")]
    services.reserve_wish(db.session, wish, "donor-a", now)
    db.session.commit()
    with pytest.raises(state.WishTaken) as err:
        services.reserve_wish(db.session, wish, "donor-b", now + timedelta(minutes=14))
    db.session.rollback()
    assert str(err.value.message) == "Someone has just taken this wish — here are three like it."
    assert [w.id for w in err.value.similar] == [others[0].id, others[1].id, others[3].id]
    assert len(support.reservations_of(db.session, wish.id)) == 1


def test_a_hold_that_ran_out_reads_as_open_and_may_be_taken(make_wish, now):
    wish = make_wish()
    first = services.reserve_wish(db.session, wish, "donor-a", now)
    db.session.commit()
    later = now + timedelta(minutes=15, seconds=1)
    assert services.wish_counts(db.session, wish.campaign_id, later)["open"] == 1
    assert services.wish_counts(db.session, wish.campaign_id, now)["reserved"] == 1
    second = services.reserve_wish(db.session, wish, "donor-b", later)
    db.session.commit()
    assert (first.status, second.status, wish.status) == ("expired", "held", "reserved")


def test_release_expired_frees_only_run_out_holds(make_wish, now, runner):
    a, b = make_wish(), make_wish()
    services.reserve_wish(db.session, a, "donor-a", now)
    services.reserve_wish(db.session, b, "donor-b", now + timedelta(minutes=10))
    db.session.commit()
    assert services.release_expired(db.session, now + timedelta(minutes=20)) == 1
    db.session.commit()
    assert (db.session.get(Wish, a.id).status, db.session.get(Wish, b.id).status) == ("open", "reserved")
    assert support.reservations_of(db.session, a.id)[0].status == "expired"
    assert db.session.get(Wish, a.id).events[-1].actor == "system"
    result = runner.invoke(args=["wishes", "expire"])
    assert result.exit_code == 0 and "released" in result.output


@pytest.mark.parametrize("status", ["funded", "cancelled", "draft"])
def test_a_wish_that_is_not_open_cannot_be_reserved(make_wish, now, status, english):
    wish = make_wish("cancelled" if status == "cancelled" else ("draft" if status == "draft" else "open"))
    if status == "funded":
        support.pay_for(db.session, services.reserve_wish(db.session, wish, "donor-a", now))
        db.session.commit()
    count = len(support.reservations_of(db.session, wish.id))
    with pytest.raises(state.WishTaken):
        services.reserve_wish(db.session, wish, "donor-b", now)
    db.session.rollback()
    assert len(support.reservations_of(db.session, wish.id)) == count


def test_a_wish_in_a_closed_drive_cannot_be_reserved(make_wish, drive, now, english):
    from campaigns import services as campaign_services

    wish = make_wish()
    campaign_services.close_campaign(db.session, drive)
    db.session.commit()
    with pytest.raises(state.WishError, match="This drive is not taking gifts right now."):
        services.reserve_wish(db.session, wish, "donor-a", now)
    db.session.rollback()
    assert support.reservations_of(db.session, wish.id) == []


# -- threads ---------------------------------------------------------------------------------

def _race_one(app, now):
    wish_id = support.make_wish(db.session, support.make_drive(db.session), "open").id
    db.session.commit()
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda n: support.try_reserve(app, wish_id, f"donor-{n}", now), range(50)))
    assert results.count(True) == 1
    assert len(support.reservations_of(db.session, wish_id)) == 1


def _race_many(app, now):
    """1,000 attempts on 200 wishes, then every reserved wish paid through the real booking."""
    drive = support.make_drive(db.session, slug="race-many")
    ids = [support.make_wish(db.session, drive, "open", price=str(100 + n % 300)).id for n in range(200)]
    db.session.commit()
    rng = random.Random(6)
    picks = [rng.choice(ids) for _ in range(1000)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(lambda n: support.try_reserve(app, picks[n], f"d{n}", now), range(1000)))
    db.session.expire_all()
    per_wish = dict(db.session.execute(sa.select(WishReservation.wish_id, sa.func.count())
                                       .group_by(WishReservation.wish_id)).all())
    assert set(per_wish.values()) == {1} and results.count(True) == len(set(picks)) == len(per_wish)
    gifts = 0
    for reservation in db.session.scalars(sa.select(WishReservation)).all():
        gifts += support.pay_for(db.session, reservation).amount_fen
    bought = db.session.get(Wish, ids[0]) if ids[0] in per_wish else None
    spent = 0
    if bought is not None:
        services.record_purchase(db.session, bought, 9_000, "文具店", support.STAFF)
        spent = 9_000
    db.session.commit()
    assert support.statuses(db.session, drive.id).get("funded", 0) == len(per_wish) - (1 if spent else 0)
    assert fund_net_assets(db.session, drive.fund_code) == gifts - spent


def test_fifty_donors_at_once_get_one_reservation(app, now):
    _race_one(app, now)


def test_fifty_donors_at_once_on_postgresql(pg_app, now):
    _race_one(pg_app, now)


def test_a_thousand_attempts_never_reserve_a_wish_twice(app, now):
    _race_many(app, now)


def test_a_thousand_attempts_on_postgresql(pg_app, now):
    _race_many(pg_app, now)
