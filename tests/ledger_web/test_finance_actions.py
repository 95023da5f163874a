"""What finance officers do on the pages: add accounts, reverse entries, close periods; and
what admins do: reopen them. Bad input is a form error and writes nothing."""
import datetime as dt

import pytest
import sqlalchemy as sa

from tests.ledger_web.conftest import gift_draft
from core.extensions import db
from finance_html import cell, row, text
from ledger.errors import ClosedPeriod
from ledger.models import Account, JournalEntry, Period, PeriodEvent
from ledger.posting import post_entry
from ledger.reports import trial_balance


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# -- accounts --------------------------------------------------------------------------------

def test_finance_adds_an_account_to_the_chart(books, finance):
    resp = finance.post("/finance/accounts?lang=en", data={
        "code": "530101", "type": "expense", "name_zh": "筹资费用—支付手续费",
        "name_en": "Fundraising expenses: payment fees"})
    assert resp.status_code == 302
    account = db.session.scalar(sa.select(Account).filter_by(code="530101"))
    assert (account.type, account.name_zh, account.name_en) == (
        "expense", "筹资费用—支付手续费", "Fundraising expenses: payment fees")
    html = finance.get("/finance/accounts?lang=en").get_data(as_text=True)
    assert "Account 530101 was added." in html
    assert row(html, "code", "530101").startswith("530101 Expense")


@pytest.mark.parametrize("data, message", [
    ({"code": "53A1", "type": "expense"}, "An account code is 4 to 12 digits (0–9)."),
    ({"code": "530", "type": "expense"}, "An account code is 4 to 12 digits (0–9)."),
    ({"code": "５３０２", "type": "expense"}, "An account code is 4 to 12 digits (0–9)."),
    ({"code": "", "type": "expense"}, "This field is required."),
    ({"code": "5302", "type": "asset"}, "Codes starting with 5 are not accounts of this type."),
    ({"code": "5302", "type": "gift"}, "Not a valid choice."),
    ({"code": "5302", "type": "expense", "name_zh": ""}, "This field is required."),
    ({"code": "5302", "type": "expense", "name_en": "x" * 81}, "At most 80 characters."),
    ({"code": "4101", "type": "revenue"}, "The account code 4101 is already in use; codes are never reused."),
])
def test_bad_account_input_is_a_form_error_and_writes_nothing(books, finance, data, message):
    before = _count(Account)
    form = {"name_zh": "新科目", "name_en": "New account", **data}
    resp = finance.post("/finance/accounts?lang=en", data=form)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert _count(Account) == before


# -- reversing -------------------------------------------------------------------------------

def test_reversing_from_the_page_posts_exactly_one_mirror_entry(books, finance):
    resp = finance.post(f"/finance/entries/{books}/reverse?lang=en",
                        data={"memo": "refunded on donor's request", "entry_date": "2026-10-20",
                              "confirm": "y"})
    assert resp.status_code == 302
    mirror = db.session.scalar(sa.select(JournalEntry).filter_by(reverses_id=books))
    assert resp.headers["Location"].endswith(f"/finance/entries/{mirror.id}")
    assert (mirror.entry_date, mirror.memo, mirror.source) == (
        dt.date(2026, 10, 20), "refunded on donor's request", "reversal")
    assert mirror.posted_by == "finance@example.org"
    from core.audit import AuditEvent

    (audit,) = db.session.scalars(sa.select(AuditEvent)).all()
    assert (audit.action, audit.actor, audit.object_id) == ("entry.reverse", "finance@example.org",
                                                            str(books))
    assert sorted(p.amount for p in mirror.postings) == [-10000, -340, 340, 10000]
    assert trial_balance(db.session).rows == []
    html = finance.get(f"/finance/entries/{books}?lang=en").get_data(as_text=True)
    assert cell(html, "data-reversed-by") == f"Entry {mirror.id}"
    assert "Reverse this entry" not in html

    again = finance.post(f"/finance/entries/{books}/reverse?lang=en",
                         data={"memo": "second click", "confirm": "y"})
    assert again.status_code == 409
    assert (f"Entry {books} was already reversed by entry {mirror.id}; nothing was posted."
            in again.get_data(as_text=True))
    assert _count(JournalEntry) == 2


def test_reversing_needs_a_memo_and_a_confirmation(books, finance):
    resp = finance.post(f"/finance/entries/{books}/reverse?lang=en", data={"memo": " "})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "This field is required." in html and "Tick the box to confirm." in html
    resp = finance.post(f"/finance/entries/{books}/reverse?lang=en",
                        data={"memo": "x", "confirm": "y", "entry_date": "2026-02-31"})
    assert resp.status_code == 400
    assert "Enter a date as YYYY-MM-DD" in resp.get_data(as_text=True)
    assert _count(JournalEntry) == 1


def test_reversing_into_a_closed_month_is_refused_with_the_reason(books, finance):
    assert finance.post("/finance/periods/2026-10/close").status_code == 303
    resp = finance.post(f"/finance/entries/{books}/reverse?lang=en",
                        data={"memo": "late", "entry_date": "2026-10-31", "confirm": "y"})
    assert resp.status_code == 409
    assert "The period 2026-10 is closed" in resp.get_data(as_text=True)
    assert _count(JournalEntry) == 1


# -- periods ---------------------------------------------------------------------------------

def test_periods_list_months_from_the_first_entry(books, finance):
    html = finance.get("/finance/periods?lang=en").get_data(as_text=True)
    assert row(html, "month", "2026-10") == "2026-10 Open Close 2026-10"
    assert "No period has been closed yet." in html


def test_close_then_reopen_is_recorded_and_enforced(books, finance, as_role):
    resp = finance.post("/finance/periods/2026-10/close?lang=en", data={"reason": "October books done"})
    assert resp.status_code == 303
    assert db.session.get(Period, "2026-10").status == "closed"
    with pytest.raises(ClosedPeriod):
        post_entry(db.session, gift_draft("pi_late", 5000, 0))
    db.session.rollback()
    html = finance.get("/finance/periods?lang=en").get_data(as_text=True)
    assert row(html, "month", "2026-10") == "2026-10 Closed"  # no reopen button for finance
    assert "October books done" in text(html)

    assert finance.post("/finance/periods/2026-10/reopen", data={"reason": "late invoice"}).status_code == 403
    assert db.session.get(Period, "2026-10").status == "closed"

    admin = as_role("admin")
    page = admin.get("/finance/periods?lang=en").get_data(as_text=True)
    assert row(page, "month", "2026-10") == "2026-10 Closed Reopen 2026-10"
    empty = admin.post("/finance/periods/2026-10/reopen?lang=en", data={"reason": ""})
    assert empty.status_code == 400 and "This field is required." in empty.get_data(as_text=True)
    resp = admin.post("/finance/periods/2026-10/reopen?lang=en", data={"reason": "late invoice"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(Period, "2026-10").status == "open"
    events = db.session.scalars(sa.select(PeriodEvent).order_by(PeriodEvent.id)).all()
    assert [(e.action, e.by, e.reason) for e in events] == [
        ("close", "finance@example.org", "October books done"),
        ("reopen", "admin@example.org", "late invoice")]
    # …and both are in the finance audit log, with the state before and after.
    from core.audit import AuditEvent

    audit = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(a.action, a.actor, a.object_id, a.before, a.after) for a in audit] == [
        ("period.close", "finance@example.org", "2026-10", '{"status": "open"}',
         '{"status": "closed"}'),
        ("period.reopen", "admin@example.org", "2026-10", '{"status": "closed"}',
         '{"reason": "late invoice", "status": "open"}')]
    post_entry(db.session, gift_draft("pi_late", 5000, 0))
    db.session.commit()


def test_closing_twice_and_reopening_an_open_month_are_refused(books, finance, as_role):
    assert finance.post("/finance/periods/2026-10/close").status_code == 303
    again = finance.post("/finance/periods/2026-10/close?lang=en", follow_redirects=True)
    assert "The period 2026-10 is already closed." in again.get_data(as_text=True)
    resp = as_role("admin").post("/finance/periods/2026-09/reopen?lang=en", data={"reason": "why not"})
    assert resp.status_code == 400
    assert "The period 2026-09 is not closed." in resp.get_data(as_text=True)
    assert _count(PeriodEvent) == 1
    assert finance.post("/finance/periods/2026-13/close").status_code == 404


def test_reversing_a_gift_already_spent_from_a_restricted_fund_is_refused(books, finance):
    from ledger import chart
    from ledger.posting import EntryDraft, Line

    post_entry(db.session, EntryDraft(
        date=dt.date(2026, 10, 10), memo="schoolbags", idempotency_key="spend-1",
        lines=(Line(chart.PROGRAM_EXPENSE, "SUB-HUINAN", 9000),
               Line(chart.PROCESSOR_CLEARING, "SUB-HUINAN", -9000))))
    db.session.commit()
    resp = finance.post(f"/finance/entries/{books}/reverse?lang=en",
                        data={"memo": "refund", "entry_date": "2026-10-20", "confirm": "y"})
    assert resp.status_code == 409
    assert ("The restricted fund SUB-HUINAN does not hold enough: this would take it "
            "CN¥90.00 below zero.") in resp.get_data(as_text=True)
    assert _count(JournalEntry) == 2
