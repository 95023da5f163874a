"""Stripe reconciliation on a month of activity: the fixture file in Stripe's payout
reconciliation shape reconciles November 2026 to zero difference, reporting exactly the three
planted items (a charge unknown to the books, a refund missing from them, a fee difference)."""
import sqlalchemy as sa

from core.extensions import db
from finance.stripe_models import StripeBalanceLine, StripePayout
from finance.stripe_recon import import_stripe_csv, payout_lines, payout_split
from finance.stripe_report import Item, reconciliation_summary
from tests.finance.stripe_support import (NOV_1, NOV_30, NOV_CSV, balances, book_gift, csv_bytes,  # noqa: F401
                                 drive, entry_count, november)


def _import(data: bytes):
    result = import_stripe_csv(db.session, data)
    db.session.commit()
    return result


def test_the_november_file_reconciles_to_zero_with_exactly_the_planted_items(november):
    result = _import(NOV_CSV.read_bytes())
    assert (result.new, result.seen, result.payouts_posted) == (6, 0, 2)
    assert (result.matched, result.unmatched) == (3, 3)
    summary = reconciliation_summary(db.session, NOV_1, NOV_30)
    assert summary.items == [
        Item("stripe", "charge", "pi_wj1103", "fee_differs", 4_965, 4_970, fees=(35, 30)),
        Item("stripe", "refund", "re_wj1105", "no_refund", -10_000, 0),
        Item("stripe", "charge", "pi_wj1106", "no_donation", 7_952, 0),
    ]
    # Stripe: lines 827.07 less payouts 747.55; the books' clearing moved 100.05.
    assert (summary.stripe_fen, summary.books_fen) == (7_952, 10_005)
    assert summary.explained_fen == -2_053 and summary.unexplained_fen == 0


def test_the_missing_fee_is_posted_and_payouts_move_clearing_to_bank_per_fund(november):
    _import(NOV_CSV.read_bytes())
    assert november["pi_wj1101"].fee_fen == 90
    assert balances("FUNDRAISING_EXPENSE") == {"SF-LJZ": 90 + 30, "GOODS-YN": 120}
    assert balances("BANK") == {"SF-LJZ": 9_910 + 4_965, "GOODS-YN": 19_880 + 40_000}
    # What is left in clearing is what the planted items explain: 0.05 and the ¥100 refund.
    assert balances("PROCESSOR_CLEARING") == {"SF-LJZ": 5, "GOODS-YN": 10_000}
    payout = db.session.scalar(sa.select(StripePayout).filter_by(payout_id="po_wj1126B"))
    assert (payout.status, payout.amount_fen) == ("matched", 44_965)
    assert payout_split(payout_lines(db.session, "po_wj1126B")) == {"SF-LJZ": 4_965,
                                                                    "GOODS-YN": 40_000}
    from ledger.models import JournalEntry
    entry = db.session.get(JournalEntry, payout.entry_id)
    assert (entry.entry_date.isoformat(), entry.idempotency_key) == \
        ("2026-11-20", "stripe:po_wj1126B:payout")


def test_importing_the_same_file_again_changes_nothing(november):
    _import(NOV_CSV.read_bytes())
    entries, lines = entry_count(), db.session.scalar(
        sa.select(sa.func.count()).select_from(StripeBalanceLine))
    again = _import(NOV_CSV.read_bytes())
    assert (again.new, again.seen, again.payouts_posted) == (0, 6, 0)
    assert entry_count() == entries and lines == 6
    assert reconciliation_summary(db.session, NOV_1, NOV_30).unexplained_fen == 0


def test_a_gift_booked_later_is_matched_on_the_next_run(november, drive):
    _import(NOV_CSV.read_bytes())
    from datetime import datetime
    book_gift(drive, "pi_wj1106", "SF-LJZ", 8_000, 48, datetime(2026, 11, 25, 11, 11))
    _import(NOV_CSV.read_bytes())
    line = db.session.scalar(sa.select(StripeBalanceLine).filter_by(payment_intent_id="pi_wj1106"))
    assert (line.status, line.reason, line.fund_code) == ("matched", "", "SF-LJZ")


def test_a_booked_gift_that_stripe_does_not_list_is_reported(november, drive):
    from datetime import datetime
    book_gift(drive, "pi_wj1199", "SF-LJZ", 2_000, 0, datetime(2026, 11, 28, 1, 0))
    _import(NOV_CSV.read_bytes())
    summary = reconciliation_summary(db.session, NOV_1, NOV_30)
    assert summary.items[-1] == Item("books", "charge", "pi_wj1199", "books_only", 0, 2_000)
    assert summary.unexplained_fen == 0


def test_a_payout_whose_lines_are_unknown_waits(drive):
    data = csv_bytes("po_x,2026-11-10 00:00,txn_a,2026-11-03 08:15,cny,10.00,0.00,10.00,"
                     "charge,ch_a,pi_unknown")
    result = _import(data)
    payout = db.session.scalar(sa.select(StripePayout))
    assert (result.payouts_posted, payout.status, payout.reason) == (0, "unmatched",
                                                                    "lines_unknown")
    assert reconciliation_summary(db.session, NOV_1, NOV_30).unexplained_fen == 0


def test_a_matched_refund_and_a_dispute_with_its_fee(drive):
    from datetime import datetime
    from donate import services
    gift = book_gift(drive, "pi_d1", "SF-LJZ", 10_000, 0, datetime(2026, 11, 2, 3, 0))
    services.book_refund(db.session, gift, "re_d1", 3_000)
    services.open_dispute(db.session, gift, "dp_d1", 7_000)
    db.session.commit()
    _import(csv_bytes(
        ",,txn_c,2026-11-02 03:00,cny,100.00,0.00,100.00,charge,ch_d1,pi_d1",
        ",,txn_r,2026-11-03 03:00,cny,-30.00,0.00,-30.00,refund,re_d1,pi_d1",
        ",,txn_d,2026-11-04 03:00,cny,-70.00,15.00,-85.00,dispute,dp_d1,pi_d1"))
    statuses = dict(db.session.execute(sa.select(StripeBalanceLine.balance_transaction_id,
                                                 StripeBalanceLine.status)).all())
    assert statuses == {"txn_c": "matched", "txn_r": "matched", "txn_d": "matched"}
    assert balances("FUNDRAISING_EXPENSE") == {"SF-LJZ": 1_500}


def test_stripe_own_fees_are_booked_and_other_categories_reported(app, drive):
    from core.i18n import money
    from finance.stripe_report import reason_text, unmatched_items

    _import(csv_bytes(",,txn_f,2026-11-30 23:00,cny,-2.50,0.00,-2.50,fee,,",
                      ",,txn_x,2026-11-18 08:00,cny,-1.00,0.00,-1.00,adjustment,adj_1,"))
    assert balances("FUNDRAISING_EXPENSE") == {"GEN": 250}
    items = unmatched_items(db.session, NOV_1, NOV_30)
    assert items == [Item("stripe", "adjustment", "adjustment", "unknown_category", -100, 0)]
    with app.test_request_context("/?lang=en"):
        assert reason_text(items[0], money) == \
            "Stripe's category adjustment is not reconciled automatically."
    # 23:00 UTC on 30 November is 1 December in Shanghai: the fee is December's.
    from ledger.models import JournalEntry
    fee = db.session.scalar(sa.select(JournalEntry).filter_by(idempotency_key="stripe:txn_f:fee"))
    assert fee.entry_date.isoformat() == "2026-12-01"
