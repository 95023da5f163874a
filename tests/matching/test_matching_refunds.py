"""Refunds and lost disputes reverse matches pro rata; the capacity returns to the pool while
the window is open and lapses after it; the textbook trial balance of a matched, refunded gift."""
from datetime import timedelta

import pytest

from campaigns.matching import state
from core.auth import utcnow
from core.extensions import db
from donate import services as giving
from ledger import chart
from ledger.balances import account_balance, fund_balances
from tests.matching.support import FUND, events, matches_of

pytestmark = pytest.mark.usefixtures("clean_books")


@pytest.fixture
def now():
    """Refunds are booked on the real clock, so these windows are set around it."""
    return utcnow().replace(microsecond=0)


@pytest.fixture
def open_pledge(make_pledge, now):
    def make(**terms):
        return make_pledge(starts_at=now - timedelta(days=2), ends_at=now + timedelta(days=30), **terms)
    return make


def _refund(donation, amount_fen, ref):
    giving.book_refund(db.session, donation, ref, amount_fen, "staff@example.org")
    db.session.commit()


def test_a_refund_in_the_window_reverses_the_match_and_returns_capacity(open_pledge, give, now):
    pledge = open_pledge()
    gift = give(10_000, at=now - timedelta(hours=1))
    _refund(gift, 10_000, "re_1")
    (match,) = matches_of(db.session, gift)
    db.session.refresh(pledge)
    assert (match.status, match.reversed_fen, pledge.spent_fen) == (state.REVERSED, 10_000, 0)
    assert [(e.action, e.amount_fen, e.match_id) for e in events(db.session, pledge, "capacity_returned")] == [
        ("capacity_returned", 10_000, match.id)]
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 0


def test_a_refund_after_the_window_lets_the_capacity_lapse(make_pledge, give, now):
    pledge = make_pledge(starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=1))
    gift = give(10_000, at=now - timedelta(days=2))
    _refund(gift, 10_000, "re_1")
    db.session.refresh(pledge)
    assert pledge.spent_fen == 10_000
    assert [(e.action, e.amount_fen) for e in events(db.session, pledge) if "capacity" in e.action] == [
        ("capacity_lapsed", 10_000)]
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 0


def test_partial_refunds_reverse_the_match_pro_rata_to_the_fen(open_pledge, give, now):
    open_pledge(ratio_num=2, ratio_den=1)
    gift = give(10_000, at=now - timedelta(hours=1))
    steps = []
    for ref, amount in (("re_1", 3_333), ("re_2", 1), ("re_3", 6_666)):
        _refund(gift, amount, ref)
        steps.append(matches_of(db.session, gift)[0].reversed_fen)
    assert steps == [6_666, 6_668, 20_000]
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 0


def test_a_refund_with_fee_cover_reverses_by_the_share_of_what_was_paid(open_pledge, give, now):
    open_pledge()
    gift = give(10_000, fee_cover_fen=60, at=now - timedelta(hours=1))
    _refund(gift, 5_030, "re_half")
    assert matches_of(db.session, gift)[0].reversed_fen == 5_000


def test_an_exhausted_pledge_goes_live_again_when_a_refund_returns_capacity(open_pledge, give, now):
    pledge = open_pledge(pool_fen=10_000)
    gift = give(10_000, at=now - timedelta(hours=1))
    db.session.refresh(pledge)
    assert pledge.status == state.EXHAUSTED
    _refund(gift, 4_000, "re_1")
    db.session.refresh(pledge)
    assert (pledge.status, pledge.spent_fen) == (state.LIVE, 6_000)
    assert [e.action for e in events(db.session, pledge)][-3:] == ["exhaust", "capacity_returned", "replenish"]


def test_a_lost_dispute_reverses_the_match(open_pledge, give, now):
    pledge = open_pledge()
    gift = give(10_000, at=now - timedelta(hours=1))
    dispute = giving.open_dispute(db.session, gift, "dp_1", 10_000)
    db.session.commit()
    assert matches_of(db.session, gift)[0].reversed_fen == 0  # only when it is lost
    giving.close_dispute(db.session, dispute, won=False)
    db.session.commit()
    db.session.refresh(pledge)
    assert (matches_of(db.session, gift)[0].status, pledge.spent_fen) == (state.REVERSED, 0)


def test_textbook_a_100_yuan_gift_fee_60_fen_matched_1_to_1_then_refunded(open_pledge, give, now):
    """The campaign fund bears its own fees. After the gift and its match:

    ========================  ========  ========
    account                   debit     credit
    ========================  ========  ========
    processor clearing         99.40
    pledges receivable        100.00
    fundraising expense         0.60
    donation income                     200.00
    ========================  ========  ========

    The full refund reverses the gift (and the fee, pro rata: all of it) and the match: every
    balance of the fund is back to zero.
    """
    open_pledge()
    gift = give(10_000, fee_fen=60, at=now - timedelta(hours=1))
    assert fund_balances(db.session, FUND) == {
        chart.PROCESSOR_CLEARING: 9_940, chart.PLEDGES_RECEIVABLE: 10_000,
        chart.DONATION_INCOME: -20_000, chart.FUNDRAISING_EXPENSE: 60}
    _refund(gift, 10_000, "re_all")
    assert fund_balances(db.session, FUND) == {}
