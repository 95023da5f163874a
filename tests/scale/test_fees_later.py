"""BOOK_FEES_AT_SUCCESS off (a giving-day peak): a gift is booked gross from the webhook's
payload alone, without asking Stripe, and matching counts its donor by email; the processor
fee then comes in with Stripe reconciliation, which posts it as ``stripe:<txn>:fee``."""
from datetime import datetime, timezone

from campaigns.matching.engine import donor_fingerprint_for
from core.extensions import db
from donate.models import Donation
from finance.stripe_recon import import_stripe_csv
from ledger import chart
from ledger.balances import account_balance
from ledger.models import JournalEntry
from ledger.verify import verify_ledger
from tests.finance.stripe_support import csv_bytes
from tests.scale import support
from tests.scale.support import PEAK, post, succeeded
from tests.scale.test_inbox import STRIPE_DOWN

FUND = support.matching.FUND  # the drive's own fund: "where most needed"


def balances(account_name: str) -> dict:
    """``{fund: balance}`` of one account over the drive's funds, zeros left out."""
    db.session.expire_all()
    amounts = {fund: account_balance(db.session, getattr(chart, account_name), fund)
               for fund in ("GEN", "SF-LJZ", support.matching.FUND)}
    return {fund: amount for fund, amount in amounts.items() if amount}


def test_a_gift_booked_gross_gets_its_fee_from_stripe_reconciliation(app, client):
    app.config.update(PEAK, **STRIPE_DOWN)  # any call to Stripe would fail the booking
    drive, _pledge = support.make_drive_with_pledge(1_000_000)
    gift = support.pending_gifts(drive, [10_000])[0]
    resp = post(client, succeeded(gift, latest_charge="ch_peak"))
    assert resp.get_json()["outcome"] == "booked"
    db.session.expire_all()
    gift = db.session.get(Donation, gift.id)
    assert (gift.status, gift.fee_fen) == ("succeeded", 0)
    assert gift.donor_fingerprint == donor_fingerprint_for(gift.email)  # not a card: fingerprint
    assert balances("PROCESSOR_CLEARING") == {FUND: 10_000}
    assert balances("FUNDRAISING_EXPENSE") == {}

    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    import_stripe_csv(db.session, csv_bytes(
        f",,txn_peak,{created},cny,100.00,0.35,99.65,charge,ch_peak,{gift.stripe_payment_intent}"))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Donation, gift.id).fee_fen == 35
    fee = db.session.query(JournalEntry).filter_by(idempotency_key="stripe:txn_peak:fee").one()
    assert fee.source == "stripe"
    assert balances("FUNDRAISING_EXPENSE") == {FUND: 35}
    assert balances("PROCESSOR_CLEARING") == {FUND: 9_965}
    # Imported again: the fee is not posted twice.
    import_stripe_csv(db.session, csv_bytes(
        f",,txn_peak,{created},cny,100.00,0.35,99.65,charge,ch_peak,{gift.stripe_payment_intent}"))
    db.session.commit()
    assert balances("FUNDRAISING_EXPENSE") == {FUND: 35}
    assert verify_ledger(db.session) == []
