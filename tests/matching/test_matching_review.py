"""Gaming defence: bursts from one donor and bursts just above the minimum are held (taken
from the pool, not booked); staff release them (booked) or reject them (capacity returned)."""
from datetime import timedelta

import pytest

from campaigns.matching import services, state
from core.extensions import db
from donate.services import book_refund
from ledger import chart
from ledger.balances import account_balance
from tests.matching.support import FUND, STAFF, T0, events, matches_of

pytestmark = pytest.mark.usefixtures("clean_books")


@pytest.fixture
def rules(app):
    app.config.update(MATCHING_BURST_GIFTS=3, MATCHING_BURST_MINUTES=10,
                      MATCHING_NEAR_MIN_GIFTS=3, MATCHING_NEAR_MIN_PCT=10)


def _burst(give, email="same@example.org"):
    return [give(2_000, email=email, at=T0 + timedelta(minutes=n)) for n in range(3)]


def test_the_third_gift_from_one_donor_in_ten_minutes_is_held(rules, make_pledge, give):
    pledge = make_pledge()
    first, second, third = [matches_of(db.session, g)[0] for g in _burst(give)]
    assert [m.status for m in (first, second, third)] == ["matched", "matched", "held"]
    assert third.hold_reason == "burst: 3 gifts from one donor within 10 min"
    assert third.entry_id is None
    db.session.refresh(pledge)
    assert pledge.spent_fen == 6_000  # held matches still take their share of the pool
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 4_000


def test_gifts_eleven_minutes_apart_are_not_a_burst(rules, make_pledge, give):
    make_pledge()
    gifts = [give(2_000, email="same@example.org", at=T0 + timedelta(minutes=11 * n)) for n in range(3)]
    assert [matches_of(db.session, g)[0].status for g in gifts] == ["matched"] * 3


def test_a_burst_just_above_the_minimum_is_held(rules, make_pledge, give):
    make_pledge(min_gift_fen=5_000)
    statuses = []
    for n, amount in enumerate((5_000, 5_600, 5_500, 5_200)):
        gift = give(amount, at=T0 + timedelta(minutes=n))
        statuses.append(matches_of(db.session, gift)[0].status)
    # ¥56 is more than 10% above the ¥50 minimum: it does not count.
    assert statuses == ["matched", "matched", "matched", "held"]


def test_releasing_a_held_match_books_it(rules, make_pledge, give):
    make_pledge()
    held = matches_of(db.session, _burst(give)[2])[0]
    assert [m.id for m in services.held_matches(db.session)] == [held.id]
    services.release_match(db.session, held, STAFF, now=T0 + timedelta(hours=1))
    db.session.commit()
    assert (held.status, held.reviewed_by, held.entry_id is not None) == ("matched", STAFF, True)
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 6_000
    assert services.held_matches(db.session) == []


def test_rejecting_a_held_match_returns_its_capacity(rules, make_pledge, give):
    pledge = make_pledge()
    held = matches_of(db.session, _burst(give)[2])[0]
    services.reject_match(db.session, held, STAFF, now=T0 + timedelta(hours=1))
    db.session.commit()
    db.session.refresh(pledge)
    assert (held.status, pledge.spent_fen) == ("rejected", 4_000)
    assert [(e.action, e.amount_fen) for e in events(db.session, pledge)][-2:] == [
        ("reject", 2_000), ("capacity_returned", 2_000)]
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 4_000


def test_a_match_that_is_not_held_cannot_be_reviewed(rules, make_pledge, give, english):
    make_pledge()
    match = matches_of(db.session, give(2_000))[0]
    for review in (services.release_match, services.reject_match):
        with pytest.raises(state.MatchingError) as err:
            review(db.session, match, STAFF)
        db.session.rollback()
        assert str(err.value.message) == "This match is not waiting for review any more."


def test_held_matches_older_than_some_days(rules, make_pledge, give):
    make_pledge()
    held = matches_of(db.session, _burst(give)[2])[0]
    assert services.held_matches(db.session, older_than_days=3, now=T0 + timedelta(days=2)) == []
    assert [m.id for m in services.held_matches(db.session, older_than_days=3,
                                                 now=T0 + timedelta(days=4))] == [held.id]


def test_a_refund_of_a_held_gift_shrinks_it_without_an_entry(rules, make_pledge, give):
    pledge = make_pledge(starts_at=T0 - timedelta(days=1), ends_at=T0 + timedelta(days=3650))
    gift = _burst(give)[2]
    book_refund(db.session, gift, "re_held", 2_000, STAFF)
    db.session.commit()
    match = matches_of(db.session, gift)[0]
    db.session.refresh(pledge)
    assert (match.status, match.reversed_fen, pledge.spent_fen) == ("reversed", 2_000, 4_000)
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 4_000
