"""Pooled wishes (拼好愿): parts reserved and paid by several donors, never more than the price
(threads on SQLite and PostgreSQL, and the database's own CHECK), funded when the parts add
up exactly; run-out parts freed; a late part that no longer fits is a late gift."""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from campaigns.wishes import services, state
from campaigns.wishes.models import Wish, WishReservation
from core.auth import utcnow
from core.extensions import db
from donate.models import Donation, OutboxMessage
from ledger.balances import fund_net_assets
from tests.wishes import support


def _pooled_drive(session, drive, threshold=20_000, min_part=1_000):
    found = services.drive_settings(session, drive)
    found.pooled_threshold_fen, found.pooled_min_part_fen = threshold, min_part
    session.commit()


@pytest.fixture
def pooled_wish(make_wish, drive):
    _pooled_drive(db.session, drive)
    return make_wish(price="300", item="轮椅坐垫")


def _reserve(wish, donor, fen, now):
    return services.reserve_wish(db.session, db.session.get(Wish, wish.id), donor, now, amount_fen=fen)


def _pay_part(reservation, email):
    """Book a gift of exactly the part, the way a paid PaymentIntent is booked."""
    from donate.services import book_donation_succeeded

    reservation = db.session.get(WishReservation, reservation.id)
    donation = support.pending_gift(db.session, reservation.wish.campaign, reservation.amount_fen, email)
    services.attach_donation(db.session, reservation, donation.id)
    book_donation_succeeded(db.session, donation)
    db.session.commit()
    return donation


def test_only_wishes_at_the_threshold_are_pooled(make_wish, drive):
    _pooled_drive(db.session, drive, threshold=20_000)
    dear, cheap = make_wish(price="200"), make_wish(price="199.99")
    assert (dear.pooled, cheap.pooled) == (True, False)


def test_three_donors_fund_a_wish_in_parts_exactly(pooled_wish, drive, now, english, client):
    a = _reserve(pooled_wish, "a", 10_000, now)
    b = _reserve(pooled_wish, "b", 15_000, now)
    with pytest.raises(state.WishError, match=r"Only CN¥50.00 of this wish remains."):
        _reserve(pooled_wish, "c", 10_000, now)
    with pytest.raises(state.WishError, match=r"A part is at least CN¥10.00."):
        _reserve(pooled_wish, "c", 500, now)
    c = _reserve(pooled_wish, "c", 5_000, now)
    db.session.commit()
    with pytest.raises(state.WishTaken):
        _reserve(pooled_wish, "d", 1_000, now)
    db.session.rollback()
    wish = db.session.get(Wish, pooled_wish.id)
    assert (wish.status, wish.held_fen, wish.funded_fen) == ("open", 30_000, 0)
    first = _pay_part(a, "a@example.org")
    _pay_part(b, "b@example.org")
    html = client.get("/c/dongri-nuanyang/wishes?lang=en").get_data(as_text=True)
    assert "CN¥250.00 of CN¥300.00 funded by 2 donors" in html
    thanks = client.get(f"/donations/{first.token}/thanks?lang=en").get_data(as_text=True)
    assert "Your part of CN¥100.00 counts towards “轮椅坐垫” for 小雨，10–12岁: CN¥250.00 of CN¥300.00 funded so far." in thanks
    _pay_part(c, "c@example.org")
    wish = db.session.get(Wish, pooled_wish.id)
    assert (wish.status, wish.held_fen, wish.funded_fen, wish.funded_donation_id) == ("funded", 0, 30_000, None)
    assert fund_net_assets(db.session, drive.fund_code) == 30_000
    assert [e.action for e in wish.events][-4:] == ["fund_part", "fund_part", "fund_part", "fund"]


def test_the_last_donor_may_take_less_than_the_smallest_part(make_wish, drive, now):
    _pooled_drive(db.session, drive, min_part=5_000)
    wish = make_wish(price="300")
    _reserve(wish, "a", 27_000, now)
    assert _reserve(wish, "b", 3_000, now).amount_fen == 3_000


def test_a_run_out_part_is_freed_and_its_late_gift_fits_or_is_redirected(pooled_wish, drive, now):
    late = _reserve(pooled_wish, "a", 10_000, now)
    db.session.commit()
    later = now + timedelta(minutes=16)
    taker = _reserve(pooled_wish, "b", 25_000, later)  # A's hold ran out: its ¥100 is free again
    assert db.session.get(WishReservation, late.id).status == "expired"
    _pay_part(taker, "b@example.org")
    gift = _pay_part(late, "late@example.org")  # only ¥50 left: A's ¥100 no longer fits
    assert db.session.get(WishReservation, late.id).status == "redirected"
    wish = db.session.get(Wish, pooled_wish.id)
    assert (wish.status, wish.funded_fen, wish.held_fen) == ("open", 25_000, 0)
    assert fund_net_assets(db.session, drive.fund_code) == 35_000
    assert db.session.scalar(sa.select(OutboxMessage.to_addr).where(
        OutboxMessage.dedup_key.like("wish-late:%"))) == gift.email


def test_a_run_out_part_that_still_fits_is_counted(pooled_wish, now):
    part = _reserve(pooled_wish, "a", 10_000, now)
    db.session.commit()
    assert services.release_expired(db.session, now + timedelta(minutes=16)) == 1
    db.session.commit()
    assert db.session.get(Wish, pooled_wish.id).held_fen == 0
    _pay_part(part, "a@example.org")
    assert db.session.get(WishReservation, part.id).status == "funded"
    assert db.session.get(Wish, pooled_wish.id).funded_fen == 10_000


def test_a_wish_with_parts_taken_cannot_be_cancelled(pooled_wish, now, english):
    _reserve(pooled_wish, "a", 10_000, now)
    db.session.commit()
    with pytest.raises(state.WishError, match="Donors have taken parts of this wish"):
        services.cancel_wish(db.session, db.session.get(Wish, pooled_wish.id), support.STAFF)


def test_the_database_refuses_parts_beyond_the_price(pooled_wish):
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(Wish).where(Wish.id == pooled_wish.id).values(funded_fen=30_001))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(Wish).where(Wish.id == pooled_wish.id).values(funded_fen=20_000, held_fen=10_001))
        db.session.flush()
    db.session.rollback()


def _funded_row(wish_id, n, pooled):
    return WishReservation(wish_id=wish_id, donor_key=f"k{n}", status="funded", amount_fen=100, pooled=pooled,
                           reserved_at=utcnow(), expires_at=utcnow())


def test_a_whole_wish_keeps_its_one_funded_gift_in_the_database(make_wish, pooled_wish):
    whole = make_wish(price="150")
    db.session.add_all([_funded_row(pooled_wish.id, 1, True), _funded_row(pooled_wish.id, 2, True)])
    db.session.commit()  # parts: several funded rows are allowed
    db.session.add_all([_funded_row(whole.id, 3, False), _funded_row(whole.id, 4, False)])
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_web_flow_reserves_and_pays_a_part(client, pooled_wish, gateway):
    bad = client.post(f"/c/dongri-nuanyang/wishes/{pooled_wish.id}/reserve?lang=en", data={"amount": "1.234"})
    assert bad.status_code == 400 and "A part is at least CN¥10.00." in bad.get_data(as_text=True)
    location = client.post(f"/c/dongri-nuanyang/wishes/{pooled_wish.id}/reserve", data={"amount": "120"}).location
    assert 'id="wish-part"' in client.get(location).get_data(as_text=True)
    page = client.post(location, data={"email": "wang@example.org"}).get_data(as_text=True)
    donation = db.session.scalar(sa.select(Donation))
    assert 'id="payment-form"' in page and donation.amount_fen == 12_000
    assert db.session.get(Wish, pooled_wish.id).held_fen == 12_000


def test_closing_a_pooled_wish_tells_every_donor(pooled_wish, now):
    for n, fen in enumerate((20_000, 10_000)):
        _pay_part(_reserve(pooled_wish, f"d{n}", fen, now + timedelta(hours=2)), f"d{n}@example.org")
    wish = db.session.get(Wish, pooled_wish.id)
    services.record_purchase(db.session, wish, 29_000, "康复用品店", support.STAFF)
    services.record_delivery(db.session, wish, "谢谢！", support.STAFF)
    services.close_wish(db.session, wish, support.STAFF)
    db.session.commit()
    sent = db.session.scalars(sa.select(OutboxMessage.to_addr).where(
        OutboxMessage.dedup_key.like("wish-closed:%")).order_by(OutboxMessage.to_addr)).all()
    assert sent == ["d0@example.org", "d1@example.org"]


# -- threads ---------------------------------------------------------------------------------

def _race_parts(app, now):
    """40 donors at once want ¥20 each of a ¥300 wish: exactly 15 get a part, then all pay."""
    drive = support.make_drive(db.session)
    _pooled_drive(db.session, drive)
    wish_id = support.make_wish(db.session, drive, "open", price="300").id
    db.session.commit()
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda n: support.try_reserve(app, wish_id, f"d{n}", now, 2_000), range(40)))
    db.session.expire_all()
    assert results.count(True) == 15
    assert db.session.get(Wish, wish_id).held_fen == 30_000
    for reservation in db.session.scalars(sa.select(WishReservation)).all():
        _pay_part(reservation, "p@example.org")
    wish = db.session.get(Wish, wish_id)
    assert (wish.status, wish.funded_fen, wish.held_fen) == ("funded", 30_000, 0)
    assert fund_net_assets(db.session, drive.fund_code) == 30_000


def test_forty_donors_at_once_never_take_more_than_the_price(app, now):
    _race_parts(app, now + timedelta(hours=2))


def test_forty_donors_at_once_on_postgresql(pg_app, now):
    _race_parts(pg_app, now + timedelta(hours=2))
