"""The invariants hold in the database too: raw SQL cannot break them."""
import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from tests.ledger.books import gift, post

from core.extensions import db
from ledger import chart
from ledger.balances import fund_net_assets
from ledger.errors import InsufficientFunds
from ledger.models import JournalEntry, Posting
from ledger.periods import close_period
from ledger.posting import ensure_fund


def _refused(session, sql, match):
    with pytest.raises(sa.exc.DatabaseError, match=match):
        session.execute(sa.text(sql))
        session.commit()
    session.rollback()


@pytest.mark.parametrize("sql", [
    "UPDATE postings SET amount = amount + 1",
    "DELETE FROM postings",
    "UPDATE journal_entries SET memo = 'edited'",
    "DELETE FROM journal_entries",
])
def test_entries_and_postings_refuse_update_and_delete(session, huinan, sql):
    gift(session, "pi_1", huinan, 10000)
    session.commit()
    _refused(session, sql, "append-only")
    assert session.scalar(sa.select(sa.func.sum(Posting.amount)).where(Posting.amount > 0)) == 10000


def test_a_raw_insert_into_a_closed_period_is_refused(session, huinan):
    close_period(session, "2026-09", by="finance@example.org")
    session.commit()
    _refused(session, "INSERT INTO journal_entries (id, entry_date, memo, source, posted_by, "
                      "idempotency_key, hash, created_at) VALUES (1, '2026-09-03', 'late', '', '', "
                      "'raw-1', '', '2026-10-01 00:00:00')", "period closed")


def test_an_unbalanced_raw_insert_is_refused_at_commit_on_postgresql(pg_app):
    session = db.session
    chart.seed_chart(session)
    session.commit()
    gen = session.scalar(sa.text("SELECT id FROM funds WHERE code = 'GEN'"))
    bank = session.scalar(sa.text("SELECT id FROM accounts WHERE code = '1002'"))
    session.execute(sa.text(
        "INSERT INTO journal_entries (id, entry_date, memo, source, posted_by, idempotency_key, "
        "hash, created_at) VALUES (1, '2026-10-03', 'raw', '', '', 'raw-1', '', now())"))
    session.execute(sa.text("INSERT INTO postings (entry_id, account_id, fund_id, currency, amount) "
                            f"VALUES (1, {bank}, {gen}, 'CNY', 500)"))
    with pytest.raises(sa.exc.IntegrityError, match="journal entry 1 does not balance in CNY"):
        session.commit()
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == 0


def test_a_restricted_fund_below_zero_is_refused_at_commit_on_postgresql(pg_app):
    session = db.session
    chart.seed_chart(session)
    ensure_fund(session, "SUB-A", name_zh="甲", kind="subfund")
    gift(session, "pi_1", "SUB-A", 1000)
    session.commit()
    session.execute(sa.text("UPDATE balances SET amount = amount - 5000"))
    with pytest.raises(sa.exc.IntegrityError, match="restricted fund id .* below zero"):
        session.commit()
    session.rollback()


def _spend_concurrently(app, fund, threads=20, amount=1000):
    outcomes, barrier = [], threading.Barrier(threads)

    def spend(n):
        with app.app_context():
            barrier.wait()
            try:
                post(db.session, f"grant-{n}", (chart.PROGRAM_EXPENSE, fund, amount),
                     (chart.BANK, fund, -amount), date=dt.date(2026, 10, 20))
                db.session.commit()
                outcomes.append("ok")
            except InsufficientFunds:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    workers = [threading.Thread(target=spend, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return outcomes


def _fund_that_affords_seven(session):
    chart.seed_chart(session)
    ensure_fund(session, "SUB-A", name_zh="甲", kind="subfund")
    post(session, "gift", (chart.BANK, "SUB-A", 7500), (chart.DONATION_INCOME, "SUB-A", -7500))
    session.commit()


def test_concurrent_spends_never_overdraw_a_restricted_fund_on_postgresql(pg_app):
    _fund_that_affords_seven(db.session)
    outcomes = _spend_concurrently(pg_app, "SUB-A")
    assert sorted(outcomes).count("ok") == 7 and len(outcomes) == 20
    assert fund_net_assets(db.session, "SUB-A") == 500
    spent = db.session.scalar(sa.select(sa.func.sum(Posting.amount)).where(Posting.amount < 0,
                                                                         Posting.fund_id == 2))
    assert spent == -7500 - 7000


def test_concurrent_spends_never_overdraw_a_restricted_fund_on_the_main_engine(app):
    _fund_that_affords_seven(db.session)
    outcomes = _spend_concurrently(app, "SUB-A", threads=10)
    assert outcomes.count("ok") == 7 and outcomes.count("refused") == 3
    assert fund_net_assets(db.session, "SUB-A") == 500
