"""Settling a gift against its wish: funded once; a late gift stays in the pool (or is marked
for refund) and its donor is told, by email and on the thank-you page. Never silent."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from campaigns.wishes import services
from campaigns.wishes.state import WishError
from campaigns.wishes.models import Wish, WishEvent, WishReservation
from core.extensions import db
from donate.models import OutboxMessage
from donate.services import book_donation_succeeded
from ledger.balances import fund_net_assets
from tests.wishes import support


def _outbox(prefix):
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.dedup_key.like(f"{prefix}%"))).all()


def test_a_paid_reservation_funds_its_wish(make_wish, drive, now):
    wish = make_wish(price="150")
    gift = support.pay_for(db.session, services.reserve_wish(db.session, wish, "donor-a", now))
    db.session.commit()
    wish = db.session.get(Wish, wish.id)
    assert (wish.status, wish.funded_donation_id, wish.reserved_until) == ("funded", gift.id, None)
    assert support.reservations_of(db.session, wish.id)[0].status == "funded"
    assert fund_net_assets(db.session, drive.fund_code) == 15_000
    assert wish.events[-1].action == "fund" and wish.events[-1].actor == f"donation:{gift.id}"
    assert gift.receipt_number and not _outbox("wish-late:")


def test_a_gift_without_a_wish_is_left_alone(drive):
    gift = support.pending_gift(db.session, drive, 5_000)
    book_donation_succeeded(db.session, gift)
    db.session.commit()
    assert services.settle_wish_gift(db.session, gift) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WishEvent)) == 0


def test_booking_twice_funds_once(make_wish, now):
    wish = make_wish()
    reservation = services.reserve_wish(db.session, wish, "donor-a", now)
    gift = support.pay_for(db.session, reservation)
    assert book_donation_succeeded(db.session, gift) is False
    services.settle_wish_gift(db.session, gift)
    db.session.commit()
    assert [e.action for e in db.session.get(Wish, wish.id).events].count("fund") == 1


def _late_pair(make_wish, now):
    """Donor A's hold runs out; donor B takes the wish and pays; then A's payment arrives."""
    wish = make_wish(price="150")
    late = services.reserve_wish(db.session, wish, "donor-a", now)
    late_gift = support.pending_gift(db.session, wish.campaign, wish.price_fen, "late@example.org")
    services.attach_donation(db.session, late, late_gift.id)
    db.session.commit()
    first = services.reserve_wish(db.session, wish, "donor-b", now + timedelta(minutes=16))
    first_gift = support.pay_for(db.session, first, "first@example.org")
    db.session.commit()
    book_donation_succeeded(db.session, late_gift)
    db.session.commit()
    return wish, late_gift, first_gift


def test_a_late_gift_stays_in_the_pool_and_its_donor_is_told(make_wish, drive, now, client):
    wish, late_gift, first_gift = _late_pair(make_wish, now)
    wish = db.session.get(Wish, wish.id)
    assert (wish.status, wish.funded_donation_id) == ("funded", first_gift.id)
    late = db.session.scalar(sa.select(WishReservation).filter_by(donation_id=late_gift.id))
    assert late.status == "redirected"
    assert fund_net_assets(db.session, drive.fund_code) == 30_000
    (mail,) = _outbox("wish-late:")
    assert mail.to_addr == "late@example.org" and f"/donations/{late_gift.token}/thanks" in mail.body
    (receipt,) = _outbox(f"receipt:{late_gift.receipt_number}")
    assert "您的捐赠已计入本次活动的统筹款" in receipt.body
    assert "your gift has gone to the drive's general pool" in receipt.body
    html = client.get(f"/donations/{late_gift.token}/thanks?lang=en").get_data(as_text=True)
    assert 'data-reservation="redirected"' in html
    assert "Someone else funded “新书包” for 小雨，10–12岁 just before your payment arrived." in html
    assert "stays in the drive’s fund" in html


def test_a_drive_that_refunds_late_gifts_marks_them_for_staff(make_wish, drive, now, client, login):
    services.drive_settings(db.session, drive).refund_late_gifts = True
    db.session.commit()
    _wish, late_gift, _first = _late_pair(make_wish, now)
    late = db.session.scalar(sa.select(WishReservation).filter_by(donation_id=late_gift.id))
    assert late.status == "refund_requested"
    # Emails go out in the default locale, Chinese: "We will refund your gift in full."
    assert "我们将全额退还您的捐款。" in _outbox("wish-late:")[0].body
    (receipt,) = _outbox(f"receipt:{late_gift.receipt_number}")
    assert "we are refunding your gift in full" in receipt.body
    login("staff")
    html = client.get(f"/staff/wishes/drives/{drive.slug}?lang=en").get_data(as_text=True)
    assert f"Gift #{late_gift.id} for wish #{late.wish_id}" in html


def test_a_late_gift_while_another_donor_still_holds_the_wish_is_redirected(make_wish, now):
    wish = make_wish()
    late = services.reserve_wish(db.session, wish, "donor-a", now - timedelta(minutes=30))
    holder = services.reserve_wish(db.session, wish, "donor-b", now + timedelta(hours=2))
    db.session.commit()
    support.pay_for(db.session, late)
    db.session.commit()
    assert db.session.get(Wish, wish.id).status == "reserved"
    assert [r.status for r in support.reservations_of(db.session, wish.id)] == ["redirected", "held"]
    support.pay_for(db.session, db.session.get(WishReservation, holder.id))
    db.session.commit()
    assert db.session.get(Wish, wish.id).status == "funded"


def test_a_late_gift_for_a_wish_still_free_funds_it(make_wish, now):
    wish = make_wish()
    reservation = services.reserve_wish(db.session, wish, "donor-a", now)
    db.session.commit()
    assert services.release_expired(db.session) == 1
    support.pay_for(db.session, reservation)
    db.session.commit()
    assert db.session.get(Wish, wish.id).status == "funded"


def test_a_purchase_dated_in_a_closed_month_is_refused_and_writes_nothing(make_wish, now, english):
    from datetime import date

    from ledger.models import JournalEntry
    from ledger.periods import close_period

    wish = make_wish()
    reservation = services.reserve_wish(db.session, wish, "donor-a", now)
    db.session.commit()
    support.pay_for(db.session, reservation)
    close_period(db.session, "2026-10", by="finance@example.org")
    db.session.commit()
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry))
    with pytest.raises(WishError, match="The books for 2026-10 are closed: choose a date in an "
                                        "open month."):
        services.record_purchase(db.session, db.session.get(Wish, wish.id), 9_000, "文具店",
                                 support.STAFF, day=date(2026, 10, 30))
    db.session.rollback()
    assert db.session.get(Wish, wish.id).status == "funded"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == entries
