"""Month-end close: the checklist page, a close refused while a check fails, a month closed
through the checklist, and a late Stripe item that lands in the next month with a reference
while the closed month's figures stay as they were."""
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from core.extensions import db
from finance import checklist, close_checks
from finance.close import month_bounds
from finance.stripe_recon import import_stripe_csv
from finance.stripe_report import reconciliation_summary
from ledger.models import JournalEntry
from ledger.periods import first_open_day, next_month, period_status
from tests.finance.stripe_support import (NOV_1, NOV_30, NOV_CSV, balances, book_gift, csv_bytes,  # noqa: F401
                                 drive, november)

pytestmark = pytest.mark.usefixtures("english")

MINE = ("stripe_payouts_matched", "stripe_lines_matched", "held_matches", "ledger_verified")
#: November's gifts as Stripe paid them, all matching the books: one payout of both.
CLEAN = (
    "po_n1,2026-11-10 00:00,txn_n1,2026-11-03 08:15,cny,100.00,0.00,100.00,charge,ch_1,pi_wj1101",
    "po_n1,2026-11-10 00:00,txn_n2,2026-11-05 02:40:11,cny,200.00,1.20,198.80,charge,ch_2,pi_wj1102",
    ",,txn_n3,2026-11-12 13:05,cny,50.00,0.30,49.70,charge,ch_3,pi_wj1103",
    ",,txn_n4,2026-11-14 09:30,cny,500.00,0.00,500.00,charge,ch_4,pi_wj1104",
)


@pytest.fixture
def only_my_checks(monkeypatch):
    """The checklist with this module's checks only (others' checks have their own tests)."""
    monkeypatch.setattr(checklist, "CHECKS", {k: v for k, v in checklist.CHECKS.items() if k in MINE})


def _import(data: bytes):
    result = import_stripe_csv(db.session, data)
    db.session.commit()
    return result


def _results(client, month="2026-11"):
    page = client.get(f"/finance/close/{month}?lang=en").get_data(as_text=True)
    return {key: ('data-check="%s" data-ok="yes"' % key) in page for key in MINE}, page


def test_month_bounds_and_the_first_open_day():
    assert month_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert next_month(NOV_30).isoformat() == "2026-12-01" and next_month(
        month_bounds("2026-12")[1]).isoformat() == "2027-01-01"


def test_the_checklist_lists_every_registered_check(client, login, november):
    login("finance")
    results, page = _results(client)
    for key in checklist.CHECKS:
        assert f'data-check="{key}"' in page
    assert results == {"stripe_payouts_matched": True, "stripe_lines_matched": True,
                       "held_matches": True, "ledger_verified": True}
    assert client.get("/finance/close/2026-13").status_code == 404


def test_close_is_refused_while_stripe_lines_are_unmatched(client, login, november, only_my_checks):
    login("finance")
    _import(NOV_CSV.read_bytes())
    results, _page = _results(client)
    assert results["stripe_lines_matched"] is False and results["stripe_payouts_matched"] is True
    resp = client.post("/finance/close/2026-11?lang=en", data={"reason": ""})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "2026-11 cannot be closed while these checks fail: No unmatched Stripe lines." in page
    assert period_status(db.session, "2026-11") == "open"


def test_the_ledgers_own_period_page_cannot_close_around_the_checklist(client, login, november,
                                                                     only_my_checks):
    login("finance")
    _import(NOV_CSV.read_bytes())
    resp = client.post("/finance/periods/2026-11/close?lang=en", data={"reason": "done"},
                       follow_redirects=True)
    assert ("The period 2026-11 cannot be closed yet: No unmatched Stripe lines."
            in resp.get_data(as_text=True))
    assert period_status(db.session, "2026-11") == "open"


def test_held_matches_older_than_the_setting_block_the_close(app, monkeypatch, november):
    seen = {}

    def held(session, older_than_days):
        seen["days"] = older_than_days
        return ["a match"]

    app.config["FINANCE_HELD_MATCH_DAYS"] = 10
    monkeypatch.setattr(close_checks, "_held_matches_service", lambda: held)
    with app.test_request_context("/?lang=en"):
        result = close_checks.check_held_matches(db.session, NOV_1, NOV_30)
    assert (result.ok, result.detail, seen) == (
        False, "1 matches have been held for more than 10 days.", {"days": 10})
    monkeypatch.setattr(close_checks, "_held_matches_service", lambda: None)
    with app.test_request_context("/?lang=en"):
        assert close_checks.check_held_matches(db.session, NOV_1, NOV_30).ok is False


def test_close_through_the_checklist_then_a_late_fee_lands_in_december(
        client, login, november, drive, only_my_checks):
    login("finance")
    # A gift paid on 30 November is booked in November; Stripe reports its fee only later.
    late = book_gift(drive, "pi_late", "SF-LJZ", 3_000, 0, datetime(2026, 11, 30, 3, 0))
    _import(csv_bytes(*CLEAN))
    before = reconciliation_summary(db.session, NOV_1, NOV_30)
    assert before.items[0].ref == "pi_late" and before.unexplained_fen == 0
    resp = client.post("/finance/close/2026-11", data={"reason": "November done"})
    assert resp.status_code == 303 and period_status(db.session, "2026-11") == "closed"
    assert client.post("/finance/close/2026-11", data={}).status_code == 409
    _import(csv_bytes(",,txn_late,2026-11-30 03:00,cny,30.00,0.60,29.40,charge,ch_l,pi_late"))
    fee = db.session.scalar(sa.select(JournalEntry).filter_by(idempotency_key="stripe:txn_late:fee"))
    assert fee.entry_date.isoformat() == "2026-12-01"
    assert fee.memo == f"Stripe fee txn_late of gift #{late.id} (late: belongs to 2026-11)"
    after = reconciliation_summary(db.session, NOV_1, NOV_30)
    assert after.books_fen == before.books_fen  # the closed month's books did not move
    assert balances("FUNDRAISING_EXPENSE")["SF-LJZ"] == 30 + 60
    assert first_open_day(db.session, NOV_1).isoformat() == "2026-12-01"


def test_a_late_payout_is_booked_in_the_next_open_month(november, app):
    from ledger.periods import close_period
    close_period(db.session, "2026-11", by="finance@example.org")
    db.session.commit()
    _import(csv_bytes(
        "po_late,2026-11-28 00:00,txn_p1,2026-11-03 08:15,cny,100.00,0.00,100.00,charge,ch_1,pi_wj1101"))
    entry = db.session.scalar(sa.select(JournalEntry).filter_by(idempotency_key="stripe:po_late:payout"))
    assert (entry.entry_date.isoformat(), entry.memo) == (
        "2026-12-01", "Stripe payout po_late (late: belongs to 2026-11)")
    assert balances("BANK") == {"SF-LJZ": 10_000}


def test_only_finance_closes(client, login, november):
    login("auditor")
    assert client.get("/finance/close/2026-11").status_code == 200
    assert client.post("/finance/close/2026-11", data={}).status_code == 403
    assert period_status(db.session, "2026-11") == "open"
