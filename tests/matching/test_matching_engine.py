"""The engine at the moment a gift succeeds: ratios, caps, the pool's edge, window edges,
daily opening hours, several pledges in priority order — each with exact amounts."""
from datetime import time, timedelta

import pytest

from campaigns.matching import services, state
from core.extensions import db
from ledger import chart
from ledger.balances import account_balance
from tests.matching.support import FUND, STAFF, T0, matched, matches_of

pytestmark = pytest.mark.usefixtures("clean_books")


@pytest.mark.parametrize("num, den, gift, expected", [
    (1, 1, 10_000, 10_000),
    (2, 1, 10_000, 20_000),
    (1, 2, 10_000, 5_000),
    (1, 2, 10_001, 5_000),   # ¥100.01 at 1:2 is 5,000.5 fen: rounded down
    (2, 3, 100, 66),
])
def test_ratios_round_down_to_the_fen(make_pledge, give, num, den, gift, expected):
    make_pledge(ratio_num=num, ratio_den=den)
    assert matched(db.session, give(gift)) == [expected]
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == expected


def test_a_match_is_booked_in_the_campaign_fund_whatever_the_designation(make_pledge, give):
    make_pledge()
    gift = give(10_000, fund="SF-LJZ")
    (match,) = matches_of(db.session, gift)
    assert (match.status, match.amount_fen, match.entry_id is not None) == ("matched", 10_000, True)
    assert account_balance(db.session, chart.DONATION_INCOME, FUND) == -10_000
    assert account_balance(db.session, chart.DONATION_INCOME, "SF-LJZ") == -10_000


def test_the_fee_cover_is_not_matched(make_pledge, give):
    make_pledge()
    assert matched(db.session, give(10_000, fee_cover_fen=60)) == [10_000]


def test_the_gift_at_the_pool_edge_gets_exactly_what_is_left(make_pledge, give):
    pledge = make_pledge(pool_fen=15_000)
    assert matched(db.session, give(10_000)) == [10_000]
    assert matched(db.session, give(10_000)) == [5_000]
    assert matched(db.session, give(10_000)) == []
    db.session.refresh(pledge)
    assert (pledge.spent_fen, pledge.status) == (15_000, state.EXHAUSTED)


def test_cap_per_gift(make_pledge, give):
    make_pledge(cap_per_gift_fen=3_000)
    assert matched(db.session, give(10_000)) == [3_000]


def test_cap_per_donor_per_day_and_per_campaign(make_pledge, give):
    make_pledge(cap_per_donor_day_fen=15_000, cap_per_donor_campaign_fen=20_000)
    email = "same@example.org"
    assert matched(db.session, give(10_000, email=email)) == [10_000]
    assert matched(db.session, give(10_000, email=email, at=T0 + timedelta(minutes=20))) == [5_000]
    assert matched(db.session, give(10_000, email=email, at=T0 + timedelta(minutes=40))) == []
    next_day = T0 + timedelta(days=1)
    assert matched(db.session, give(10_000, email=email, at=next_day)) == [5_000]  # campaign cap
    assert matched(db.session, give(10_000, email="other@example.org", at=next_day)) == [10_000]


def test_the_minimum_gift_qualifies_and_one_fen_less_does_not(make_pledge, give):
    make_pledge(min_gift_fen=5_000)
    assert matched(db.session, give(4_999)) == []
    assert matched(db.session, give(5_000)) == [5_000]


def test_only_eligible_designations_are_matched(drive, make_pledge, give):
    make_pledge(designations=[drive.designation_for("SF-LJZ")])
    assert matched(db.session, give(10_000)) == []
    assert matched(db.session, give(10_000, fund="SF-LJZ")) == [10_000]


@pytest.mark.parametrize("offset, expected", [
    (timedelta(seconds=-1), []), (timedelta(0), [10_000]),
    (timedelta(days=2, seconds=-1), [10_000]), (timedelta(days=2), []),
])
def test_window_edges(make_pledge, give, offset, expected):
    make_pledge(starts_at=T0, ends_at=T0 + timedelta(days=2))
    assert matched(db.session, give(10_000, at=T0 + offset)) == expected


@pytest.mark.parametrize("shanghai, expected", [
    ((8, 59, 59), []), ((9, 0, 0), [10_000]), ((20, 59, 59), [10_000]), ((21, 0, 0), []),
])
def test_daily_opening_hours_in_shanghai(make_pledge, give, shanghai, expected):
    make_pledge(daily_opens=time(9, 0), daily_closes=time(21, 0))
    h, m, s = shanghai
    at = T0.replace(hour=0, minute=0) + timedelta(hours=h - 8, minutes=m, seconds=s)
    assert matched(db.session, give(10_000, at=at)) == expected


def test_paused_and_draft_pledges_match_nothing(make_pledge, give):
    make_pledge(status="draft")
    paused = make_pledge()
    services.change_pledge_status(db.session, paused, "pause", STAFF, now=T0)
    db.session.commit()
    assert matched(db.session, give(10_000)) == []


def test_two_pledges_share_a_gift_in_priority_order(make_pledge, give):
    """¥100 against A (1:1, ¥30 left) and B (1:1): A ¥30 + B ¥70, never ¥130."""
    b = make_pledge(priority=20, pool_fen=100_000)
    a = make_pledge(priority=10, pool_fen=3_000)
    gift = give(10_000)
    assert [(m.pledge_id, m.amount_fen, m.base_fen) for m in matches_of(db.session, gift)] == [
        (a.id, 3_000, 3_000), (b.id, 7_000, 7_000)]


def test_the_next_pledge_matches_the_rest_at_its_own_ratio(make_pledge, give):
    a = make_pledge(priority=1, ratio_num=2, ratio_den=1, pool_fen=5_001)
    b = make_pledge(priority=2, ratio_num=1, ratio_den=2)
    gift = give(10_000)
    # A's ¥50.01 at 2:1 covers 2,501 fen of the base (rounded up); B halves the other 7,499
    # (3,749.5 → 3,749 fen, which covers 7,498 fen of the base).
    assert [(m.pledge_id, m.amount_fen, m.base_fen) for m in matches_of(db.session, gift)] == [
        (a.id, 5_001, 2_501), (b.id, 3_749, 7_498)]


def test_a_gift_is_matched_once_even_if_booked_twice(make_pledge, give):
    make_pledge()
    gift = give(10_000)
    assert [m.amount_fen for m in services.apply_matches(db.session, gift)] == [10_000]
    db.session.commit()
    assert matched(db.session, gift) == [10_000]


def test_preview_shows_the_match_without_writing(drive, make_pledge):
    make_pledge(priority=1, pool_fen=3_000)
    make_pledge(priority=2, ratio_num=2, ratio_den=1)
    general = drive.designation_for(drive.fund_code)
    assert services.preview_match(db.session, drive, general, 10_000, T0) == 3_000 + 14_000
    assert services.preview_match(db.session, drive, general, 10_000, T0 - timedelta(days=2)) == 0
    assert not db.session.dirty and not db.session.new
