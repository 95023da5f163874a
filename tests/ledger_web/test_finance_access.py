"""Who may use the finance pages: finance reads and acts, auditors only read, admins reopen
periods, staff and the public are kept out."""
READ_PAGES = ["/finance/", "/finance/accounts", "/finance/funds", "/finance/trial-balance",
              "/finance/entries", "/finance/entries/1", "/finance/accounts/4101/ledger",
              "/finance/funds/SUB-HUINAN/statement", "/finance/periods",
              "/finance/trial-balance?format=csv"]
WRITES = [("/finance/accounts", {"code": "5302", "type": "expense", "name_zh": "x", "name_en": "x"}),
          ("/finance/entries/1/reverse", {"memo": "wrong fund", "confirm": "y"}),
          ("/finance/periods/2026-10/close", {})]


def test_anonymous_visitors_are_sent_to_log_in(books, client):
    for path in READ_PAGES:
        resp = client.get(path)
        assert resp.status_code == 302, path
        assert "/login?next=" in resp.headers["Location"]


def test_staff_are_refused(books, as_role):
    staff = as_role("staff")
    assert [staff.get(path).status_code for path in READ_PAGES] == [403] * len(READ_PAGES)
    for path, data in WRITES:
        assert staff.post(path, data=data).status_code == 403, path


def test_finance_and_auditors_read_every_page(books, as_role):
    finance, auditor = as_role("finance"), as_role("auditor")
    assert [finance.get(path).status_code for path in READ_PAGES] == [200] * len(READ_PAGES)
    assert [auditor.get(path).status_code for path in READ_PAGES] == [200] * len(READ_PAGES)


def test_auditors_cannot_write_and_nothing_changes(books, as_role):
    from core.extensions import db
    from ledger.models import Account, JournalEntry, PeriodEvent
    import sqlalchemy as sa

    auditor = as_role("auditor")
    for path, data in WRITES:
        assert auditor.post(path, data=data).status_code == 403, path
    assert auditor.post("/finance/periods/2026-10/reopen", data={"reason": "x"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == 1
    assert db.session.scalar(sa.select(Account.id).filter_by(code="5302")) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PeriodEvent)) == 0


def test_auditors_see_no_write_buttons(books, as_role):
    auditor = as_role("auditor")
    assert "Add an account" not in auditor.get("/finance/accounts?lang=en").get_data(as_text=True)
    assert "Reverse this entry" not in auditor.get("/finance/entries/1?lang=en").get_data(as_text=True)
    periods = auditor.get("/finance/periods?lang=en").get_data(as_text=True)
    assert "Close 2026-10" not in periods


def test_only_admins_reach_the_reopen_page(books, as_role):
    assert as_role("finance").get("/finance/periods/2026-10/reopen").status_code == 403
    assert as_role("admin").get("/finance/periods/2026-10/reopen").status_code == 200
    assert as_role("admin").get("/finance/periods/2026-13/reopen").status_code == 404
    # an admin sees periods (to reopen them) but not the books themselves
    assert as_role("admin").get("/finance/periods").status_code == 200
    assert as_role("admin").get("/finance/trial-balance").status_code == 403
