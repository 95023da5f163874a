"""The API path against localstripe: gifts paid and refunded there are fetched as balance
transactions, page by page, resumably and idempotently, and matched to the books.

localstripe's fees are always 0 and its payouts are manual (no balance transactions carried),
so fees and payouts are covered by the CSV tests only (see docs/finance.md).
"""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.extensions import db
from donate import services

from donate.stripe_gateway import GatewayError
from finance.stripe_fetch import fetch_stripe_activity
from finance.stripe_models import StripeBalanceLine, StripeFetch
from ledger.periods import books_date
from tests.finance.stripe_support import drive, entry_count  # noqa: F401
from tests.donate.conftest import gateway, localstripe_server, stripe_url  # noqa: F401
from tests.donate.giving_support import make_paid_donation

pytestmark = pytest.mark.localstripe


@pytest.fixture
def paid(drive, gateway):
    """Three gifts paid at localstripe and booked, one of them refunded in part."""
    gifts = [make_paid_donation(gateway, drive, amount, fund)[0]
             for amount, fund in ((10_000, "SF-LJZ"), (20_000, "GOODS-YN"), (5_000, "SF-LJZ"))]
    for gift in gifts:
        services.sync_donation(db.session, gateway, gift)
    services.refund_donation(db.session, gateway, gifts[1], 3_000, "finance@example.org")
    db.session.commit()
    return gifts


def _days():
    today = books_date()
    return today - timedelta(days=1), today + timedelta(days=1)


def _statuses():
    rows = db.session.execute(sa.select(StripeBalanceLine.reporting_category,
                                        StripeBalanceLine.gross_fen, StripeBalanceLine.status,
                                        StripeBalanceLine.fund_code))
    return sorted(tuple(r) for r in rows)


def test_fetched_lines_match_the_books_and_a_second_fetch_changes_nothing(paid, gateway):
    result = fetch_stripe_activity(db.session, gateway, *_days())
    db.session.commit()
    assert (result.new, result.seen, result.matched, result.unmatched) == (4, 0, 4, 0)
    assert _statuses() == [("charge", 5_000, "matched", "SF-LJZ"),
                           ("charge", 10_000, "matched", "SF-LJZ"),
                           ("charge", 20_000, "matched", "GOODS-YN"),
                           ("refund", -3_000, "matched", "GOODS-YN")]
    entries = entry_count()
    again = fetch_stripe_activity(db.session, gateway, *_days())
    db.session.commit()
    assert (again.new, again.seen) == (0, 4) and entry_count() == entries


class FailingOnce:
    """The real gateway, except that one listing call fails as a network error would."""

    def __init__(self, gateway, fail_on_call: int):
        self.gateway, self.fail_on, self.calls = gateway, fail_on_call, []

    def list_balance_transactions(self, *args, **kwargs):
        self.calls.append(kwargs.get("starting_after"))
        if len(self.calls) == self.fail_on:
            raise GatewayError("network down")
        return self.gateway.list_balance_transactions(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.gateway, name)


def test_an_interrupted_fetch_resumes_after_the_last_page_it_stored(paid, gateway):
    flaky = FailingOnce(gateway, fail_on_call=2)
    with pytest.raises(GatewayError):
        fetch_stripe_activity(db.session, flaky, *_days(), page_size=2)
    db.session.commit()  # what the page view does: keep the pages read and the cursor
    fetch = db.session.scalar(sa.select(StripeFetch))
    stored = db.session.scalars(sa.select(StripeBalanceLine.balance_transaction_id)).all()
    cursor = fetch.cursor
    assert (len(stored), fetch.done, fetch.lines_seen) == (2, False, 2) and cursor in stored
    resumed = FailingOnce(gateway, fail_on_call=0)
    result = fetch_stripe_activity(db.session, resumed, *_days(), page_size=2)
    db.session.commit()
    assert resumed.calls[0] == cursor and (result.new, result.matched) == (2, 4)


def test_a_payment_unknown_to_the_books_is_reported(drive, gateway):
    from donate.models import Donation

    donation, pi = make_paid_donation(gateway, drive, 8_800)
    db.session.delete(db.session.get(Donation, donation.id))  # as if made outside Wanjia
    db.session.commit()
    fetch_stripe_activity(db.session, gateway, *_days())
    line = db.session.scalar(sa.select(StripeBalanceLine))
    assert (line.status, line.reason, line.payment_intent_id) == ("unmatched", "no_donation", pi["id"])


def test_fetch_from_the_page(client, login, paid):
    login("finance")
    start, end = _days()
    resp = client.post("/finance/stripe/fetch", data={"start": start.isoformat(),
                                                      "end": end.isoformat()})
    assert resp.status_code == 303 and "/finance/stripe/unmatched?month=" in resp.headers["Location"]
    assert [s[2] for s in _statuses()] == ["matched"] * 4


@pytest.mark.parametrize("start, end, message", [
    ("2026-11-30", "2026-11-01", "The end date must not be before the start date."),
    ("2026-01-01", "2026-11-01", "Fetch at most 62 days at a time."),
    ("30/11/2026", "2026-11-01", "Enter a date as YYYY-MM-DD, for example 2026-10-31."),
])
def test_a_bad_fetch_range_is_a_form_error(client, login, drive, start, end, message):
    login("finance")
    resp = client.post("/finance/stripe/fetch?lang=en", data={"start": start, "end": end})
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StripeFetch)) == 0
