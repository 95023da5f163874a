"""Through localstripe: a card paid online gives the donor fingerprint (the same card under two
emails is one donor for the per-donor caps), and a Stripe refund reverses the match."""
from datetime import timedelta

import pytest

from core.auth import utcnow
from core.extensions import db
from donate import services as giving
from ledger import chart
from ledger.balances import account_balance
from tests.donate.conftest import gateway, localstripe_server, stripe_url  # noqa: F401
from tests.donate.giving_support import make_paid_donation
from tests.matching.support import FUND, matched

pytestmark = pytest.mark.usefixtures("clean_books")


def _paid(gateway, drive, email):
    donation, _pi = make_paid_donation(gateway, drive, 10_000, fund=FUND, email=email)
    giving.sync_donation(db.session, gateway, donation)
    db.session.commit()
    return donation


def test_one_card_under_two_emails_is_one_donor(drive, make_pledge, gateway):
    now = utcnow()
    make_pledge(starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
                cap_per_donor_day_fen=15_000)
    first = _paid(gateway, drive, "a@example.org")
    second = _paid(gateway, drive, "b@example.org")
    assert first.donor_fingerprint.startswith("card:")
    assert first.donor_fingerprint == second.donor_fingerprint
    assert (matched(db.session, first), matched(db.session, second)) == ([10_000], [5_000])


def test_a_stripe_refund_reverses_the_match(drive, make_pledge, gateway):
    now = utcnow()
    make_pledge(starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30))
    gift = _paid(gateway, drive, "a@example.org")
    giving.refund_donation(db.session, gateway, gift, 2_500, "finance@example.org")
    db.session.commit()
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 7_500
