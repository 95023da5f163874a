"""Serialization retry (core/retry.py): a real write conflict forced on PostgreSQL at
SERIALIZABLE (the isolation a distributed SQL engine runs) is retried and the gifts are
booked exactly once; an error that is not a conflict is never retried."""
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from core.config import ConfigError, load_config
from core.extensions import db
from core.retry import RETRIES, is_retryable, run_in_transaction
from donate.inbox import book_pending, store_event
from donate.models import Donation, StripeEvent
from ledger.models import ChainHead, JournalEntry
from ledger.verify import verify_ledger
from tests.conftest import _make_app
from tests.scale import support
from tests.scale.support import PEAK, succeeded


@pytest.fixture
def serializable_app(pg_server):
    """An app on PostgreSQL with ``DB_ISOLATION = "serializable"``."""
    pg_server.truncate()
    app = _make_app(pg_server.url, DB_ISOLATION="serializable", **PEAK)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _book_in_step(app, barrier, row_id: int, outcomes: dict) -> None:
    """Open a transaction (its snapshot taken), wait for the other thread to do the same,
    then book the event: whichever commits second read a ledger head that has moved."""
    with app.app_context():
        try:
            db.session.scalar(sa.select(ChainHead.last_entry_id))
            barrier.wait(timeout=20)
            outcomes.update(book_pending(db.session, None, 10, ids=[row_id]))
        finally:
            db.session.remove()


def test_a_forced_conflict_at_serializable_is_retried_and_books_each_gift_once(serializable_app):
    assert db.session.scalar(sa.text("SHOW transaction_isolation")) == "serializable"
    db.session.rollback()
    _drive, pledge = support.make_drive_with_pledge(2_500)
    gifts = support.pending_gifts(_drive, [2_000, 3_000], donors=2)
    ids = [store_event(db.session, succeeded(g)) for g in gifts]
    db.session.commit()
    before, barrier, outcomes = RETRIES["40001"], threading.Barrier(2), {}
    threads = [threading.Thread(target=_book_in_step, args=(serializable_app, barrier, i, outcomes))
               for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes == {ids[0]: "booked", ids[1]: "booked"}
    assert RETRIES["40001"] > before  # the conflict happened, and was retried
    db.session.expire_all()
    booked = [db.session.get(Donation, g.id) for g in gifts]
    assert {g.status for g in booked} == {"succeeded"}
    assert sorted(g.receipt_number[-6:] for g in booked) == ["000001", "000002"]
    assert db.session.get(type(pledge), pledge.id).spent_fen == 2_500  # the pool, exactly
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry).where(
        JournalEntry.idempotency_key.like("stripe:%:succeeded")))
    assert entries == 2 and verify_ledger(db.session) == []


def test_an_error_that_is_not_a_conflict_is_not_retried(app):
    calls = []

    def work():
        calls.append(1)
        db.session.add(StripeEvent(event_id="evt_twice", type="x", payload="{}"))
        db.session.add(StripeEvent(event_id="evt_twice", type="x", payload="{}"))
        db.session.flush()

    with pytest.raises(IntegrityError):
        run_in_transaction(db.session, work)
    assert calls == [1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) == 0


def test_sqlite_busy_is_retried_until_it_clears(app):
    calls, retried = [], []

    def work():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked"))
        return "done"

    assert run_in_transaction(db.session, work, on_retry=lambda n, err: retried.append(n)) == "done"
    assert calls == [1, 1, 1] and retried == [1, 2]


def test_the_last_conflict_is_raised_after_the_attempts():
    busy = OperationalError("x", {}, sqlite3.OperationalError("database is locked"))
    other = OperationalError("x", {}, sqlite3.OperationalError("no such table: gifts"))
    assert is_retryable(busy) and not is_retryable(other)

    class Session:
        rollbacks = 0

        def rollback(self):
            Session.rollbacks += 1

    with pytest.raises(OperationalError):
        run_in_transaction(Session(), lambda: (_ for _ in ()).throw(busy), attempts=2)
    assert Session.rollbacks == 2


def test_db_isolation_is_checked_and_applied_to_postgresql_only(tmp_path):
    pg = "postgresql+psycopg:///x"
    cfg = load_config(str(tmp_path), {"TESTING": True, "SQLALCHEMY_DATABASE_URI": pg,
                                      "DB_ISOLATION": "serializable"})
    assert cfg["SQLALCHEMY_ENGINE_OPTIONS"]["isolation_level"] == "SERIALIZABLE"
    lite = load_config(str(tmp_path), {"TESTING": True, "DB_ISOLATION": "serializable",
                                       "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "isolation_level" not in lite["SQLALCHEMY_ENGINE_OPTIONS"]
    with pytest.raises(ConfigError, match="DB_ISOLATION must be one of"):
        load_config(str(tmp_path), {"TESTING": True, "DB_ISOLATION": "chaos"})


def test_fees_at_success_is_read_from_the_environment(tmp_path, monkeypatch):
    assert load_config(str(tmp_path), {"TESTING": True})["BOOK_FEES_AT_SUCCESS"] is True
    monkeypatch.setenv("WANJIA_BOOK_FEES_AT_SUCCESS", "0")
    monkeypatch.setenv("WEBHOOK_BATCH", "50")
    cfg = load_config(str(tmp_path), {"TESTING": True})
    assert cfg["BOOK_FEES_AT_SUCCESS"] is False and cfg["WEBHOOK_BATCH"] == 50
