"""Sponsors and pledges: bad input refused with one clear message and nothing written; the
state machine with its escrow rule; sponsor payments, the statement and the forecast."""
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from campaigns.matching import services, state
from campaigns.matching.models import MatchingPledge
from core.extensions import db
from ledger import chart
from ledger.balances import account_balance
from tests.matching import support
from tests.matching.support import FUND, STAFF, T0, events

pytestmark = pytest.mark.usefixtures("clean_books")


def _pledges() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(MatchingPledge))


@pytest.mark.parametrize("terms, field, message", [
    ({"ratio_num": 0}, "ratio", "The ratio must be more than zero, like 1:1, 2:1 or 1:2."),
    ({"ratio_den": -1}, "ratio", "The ratio must be more than zero, like 1:1, 2:1 or 1:2."),
    ({"cap_per_gift_fen": 100_001}, "cap_per_gift_fen",
     "A cap cannot be larger than the pool (CN¥1,000.00)."),
    ({"cap_per_donor_day_fen": 5_000, "cap_per_donor_campaign_fen": 4_000}, "cap_per_donor_day_fen",
     "The daily cap per donor cannot be larger than the cap per donor for the campaign."),
    ({"cap_per_gift_fen": 6_000, "cap_per_donor_day_fen": 5_000}, "cap_per_gift_fen",
     "The cap per gift cannot be larger than the caps per donor."),
    ({"ends_at": T0 - timedelta(days=1, seconds=1)}, "ends_at", "The window must end after it starts."),
    ({"pool_fen": 0}, "pool_fen", "The pool must be more than zero."),
    ({"daily_opens": time(9), "daily_closes": time(9)}, "daily_closes",
     "The daily closing time must differ from the opening time."),
])
def test_bad_terms_are_refused_and_nothing_is_written(drive, english, terms, field, message):
    sponsor = support.make_sponsor(db.session)
    db.session.commit()
    with pytest.raises(state.MatchingError) as err:
        services.create_pledge(db.session, sponsor, support.pledge_input([drive], **terms), STAFF)
    db.session.rollback()
    assert (err.value.field, str(err.value.errors[field])) == (field, message)
    assert _pledges() == 0


def test_a_pledge_on_a_closed_campaign_is_refused(app, english):
    closed = support.make_drive(db.session, slug="closed-drive", status="closed")
    with pytest.raises(state.MatchingError) as err:
        services.create_pledge(db.session, support.make_sponsor(db.session),
                               support.pledge_input([closed]), STAFF)
    db.session.rollback()
    assert str(err.value.message) == ("The campaign “万人捐、帮万家” is closed: a pledge needs a "
                                      "campaign that can still take gifts.")
    assert _pledges() == 0


def test_ratio_text_is_parsed_or_refused(app, english):
    assert [services.parse_ratio(t) for t in ("1:1", "2:1", "1：2", " 3/2 ")] == [
        (1, 1), (2, 1), (1, 2), (3, 2)]
    for bad in ("0:1", "1:0", "-1:1", "1.5:1", "abc"):
        with pytest.raises(state.MatchingError):
            services.parse_ratio(bad)


def test_a_sponsor_needs_a_unique_name(app, english):
    services.create_sponsor(db.session, name="星河科技")
    with pytest.raises(state.MatchingError, match="A sponsor with this name already exists."):
        services.create_sponsor(db.session, name=" 星河科技 ")


def test_the_terms_of_a_live_pledge_cannot_change(drive, make_pledge, english):
    pledge = make_pledge()
    with pytest.raises(state.MatchingError) as err:
        services.update_pledge(db.session, pledge, support.pledge_input([drive], ratio_num=2), STAFF)
    db.session.rollback()
    assert str(err.value.message).startswith("The terms of a pledge that has gone live cannot change")
    db.session.refresh(pledge)
    assert (pledge.ratio_num, pledge.ratio_den) == (1, 1)
    services.update_pledge(db.session, pledge, support.pledge_input([drive], priority=5), STAFF)
    db.session.commit()
    assert pledge.priority == 5


def test_a_draft_pledge_may_change_its_terms(drive, make_pledge):
    pledge = make_pledge(status="draft")
    services.update_pledge(db.session, pledge, support.pledge_input([drive], ratio_num=2), STAFF)
    db.session.commit()
    assert pledge.ratio_num == 2


def test_the_state_machine(make_pledge, english):
    pledge = make_pledge()
    for action, expected in (("pause", "paused"), ("resume", "live"), ("end", "ended")):
        services.change_pledge_status(db.session, pledge, action, STAFF, now=T0)
        assert pledge.status == expected
    with pytest.raises(state.MatchingError) as err:
        services.change_pledge_status(db.session, pledge, "resume", STAFF, now=T0)
    assert str(err.value.message) == "“Resume” is not possible for a pledge that is Ended."
    db.session.commit()
    assert [e.action for e in events(db.session, pledge)] == ["create", "go_live", "pause", "resume", "end"]


def test_escrow_go_live_waits_for_the_stated_share(make_pledge, english):
    pledge = make_pledge(status="draft", escrow_bps=5_000)
    services.record_sponsor_payment(db.session, pledge, 30_000, date(2026, 11, 30), "BANK-1", STAFF)
    db.session.commit()
    with pytest.raises(state.MatchingError) as err:
        services.change_pledge_status(db.session, pledge, "go_live", STAFF, now=T0)
    db.session.rollback()
    assert str(err.value.message) == ("This pledge can go live once the sponsor has paid "
                                      "CN¥500.00 into escrow; CN¥200.00 is still missing.")
    services.record_sponsor_payment(db.session, pledge, 20_000, date(2026, 11, 30), "BANK-2", STAFF)
    services.change_pledge_status(db.session, pledge, "go_live", STAFF, now=T0)
    db.session.commit()
    assert (pledge.status, pledge.received_fen) == ("live", 50_000)
    # Paid ahead: the receivable has a credit balance until gifts are matched.
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == -50_000
    assert account_balance(db.session, chart.BANK, FUND) == 50_000


def test_a_sponsor_payment_settles_the_receivable_once(make_pledge, give, english):
    pledge = make_pledge()
    give(10_000)
    services.record_sponsor_payment(db.session, pledge, 6_000, date(2026, 12, 2), "BANK-7", STAFF)
    db.session.commit()
    again = services.record_sponsor_payment(db.session, pledge, 6_000, date(2026, 12, 2), "BANK-7", STAFF)
    db.session.commit()
    assert again.amount_fen == 6_000 and pledge.received_fen == 6_000
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 4_000
    assert account_balance(db.session, chart.BANK, FUND) == 6_000
    with pytest.raises(state.MatchingError) as err:
        services.record_sponsor_payment(db.session, pledge, 4_001, date(2026, 12, 2), "BANK-8", STAFF)
    db.session.rollback()
    assert (err.value.field, str(err.value.message)) == (
        "amount", "This payment is larger than what the sponsor owes (CN¥40.00).")
    assert pledge.received_fen == 6_000


def test_the_sponsor_statement(make_pledge, give):
    pledge = make_pledge()
    give(10_000)
    give(5_000)
    services.record_sponsor_payment(db.session, pledge, 12_000, date(2026, 12, 2), "BANK-1", STAFF)
    db.session.commit()
    s = services.pledge_statement(db.session, pledge)
    assert (s.gifts_matched, s.matched_fen, s.held_fen, s.paid_fen, s.outstanding_fen) == (
        2, 15_000, 0, 12_000, 3_000)
    assert [p.reference for p in s.payments] == ["BANK-1"]


def test_the_forecast_from_the_last_hour(make_pledge, give):
    pledge = make_pledge()
    give(20_000, at=T0 - timedelta(minutes=90))  # before the hour: not in the rate
    give(10_000, at=T0 - timedelta(minutes=30))
    give(5_000, at=T0 - timedelta(minutes=10))
    db.session.refresh(pledge)
    f = services.matching_forecast(db.session, pledge, T0)
    assert (f.last_hour_fen, f.remaining_fen) == (15_000, 65_000)
    assert (f.runs_out_at, f.before_end) == (T0 + timedelta(hours=4, minutes=20), True)
    quiet = services.matching_forecast(db.session, pledge, T0 + timedelta(hours=2))
    assert (quiet.last_hour_fen, quiet.runs_out_at) == (0, None)
