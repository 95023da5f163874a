"""The bulk posting path writes with Core statements; what it returns must still behave like
ORM entries, and a rollback must leave nothing behind in the session or the books."""
import datetime as dt

import sqlalchemy as sa
from tests.ledger.books import OCT, gift

from ledger import chart
from ledger.balances import account_balance, fund_net_assets
from ledger.models import JournalEntry, Posting
from ledger.posting import EntryDraft, Line, post_entries
from ledger.verify import verify_ledger


def _gift_draft(key, fund, gross, fee):
    return EntryDraft(OCT, key, (Line(chart.PROCESSOR_CLEARING, fund, gross),
                                 Line(chart.DONATION_INCOME, fund, -gross),
                                 Line(chart.FUNDRAISING_EXPENSE, fund, fee),
                                 Line(chart.PROCESSOR_CLEARING, fund, -fee)), key)


def test_returned_entries_are_persistent_and_load_their_postings(session, huinan):
    entry = gift(session, "pi_1", huinan, 10000, fee=340)
    assert (entry.id, entry.memo, entry.entry_date) == (1, "pi_1", OCT)
    assert session.get(JournalEntry, 1) is entry
    assert sorted(p.amount for p in entry.postings) == [-10000, -340, 340, 10000]
    assert {p.account.code for p in entry.postings} == {chart.PROCESSOR_CLEARING,
                                                        chart.DONATION_INCOME,
                                                        chart.FUNDRAISING_EXPENSE}
    session.commit()
    assert entry.id == 1 and len(entry.postings) == 4


def test_a_rolled_back_entry_leaves_no_trace_and_its_id_is_reused(session, huinan):
    first = gift(session, "pi_1", huinan, 10000, fee=340)
    session.rollback()
    assert first not in session
    again = gift(session, "pi_2", huinan, 5000)
    assert again.id == 1 and again.memo == "pi_2"
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(Posting)) == 2
    assert fund_net_assets(session, huinan) == 5000
    assert verify_ledger(session) == []


def test_a_large_batch_posts_every_row_once_and_verifies(session, huinan):
    drafts = [_gift_draft(f"pi_{n}", huinan, 1000 + n, 10) for n in range(1, 501)]
    entries = post_entries(session, drafts + drafts[:3])
    session.commit()
    assert [e.id for e in entries[:500]] == list(range(1, 501))
    assert [e.id for e in entries[500:]] == [1, 2, 3]
    assert session.scalar(sa.select(sa.func.count()).select_from(Posting)) == 2000
    gross = sum(1000 + n for n in range(1, 501))
    assert account_balance(session, chart.DONATION_INCOME, huinan) == -gross
    assert account_balance(session, chart.PROCESSOR_CLEARING, huinan) == gross - 500 * 10
    assert verify_ledger(session) == []


def test_entries_dated_in_the_same_batch_across_months_keep_their_own_dates(session, huinan):
    sep, nov = dt.date(2026, 9, 30), dt.date(2026, 11, 1)
    drafts = [_gift_draft("a", huinan, 100, 1), _gift_draft("b", huinan, 200, 2)]
    drafts = [EntryDraft(sep, d.memo, d.lines, d.idempotency_key) if i == 0 else
              EntryDraft(nov, d.memo, d.lines, d.idempotency_key) for i, d in enumerate(drafts)]
    post_entries(session, drafts)
    session.commit()
    dates = session.scalars(sa.select(JournalEntry.entry_date).order_by(JournalEntry.id)).all()
    assert dates == [sep, nov]
    assert account_balance(session, chart.DONATION_INCOME, as_of=sep) == -100


def _pg_books():
    from core.extensions import db
    session = db.session
    chart.seed_chart(session)
    session.commit()
    gift(session, "pi_1", "GEN", 10000)
    session.commit()
    ids = {name: session.scalar(sa.text(sql)) for name, sql in (
        ("gen", "SELECT id FROM funds WHERE code = 'GEN'"),
        ("bank", "SELECT id FROM accounts WHERE code = '1002'"))}
    return session, ids


def _refused_at_commit(session, sql, match):
    import pytest
    with pytest.raises(sa.exc.DatabaseError, match=match):
        for statement in sql:
            session.execute(sa.text(statement))
        session.commit()
    session.rollback()


def test_postgresql_refuses_a_posting_added_to_an_entry_already_posted(pg_app):
    session, ids = _pg_books()
    _refused_at_commit(session, [
        "INSERT INTO postings (entry_id, account_id, fund_id, currency, amount) "
        f"VALUES (1, {ids['bank']}, {ids['gen']}, 'CNY', 500)",
        "INSERT INTO postings (entry_id, account_id, fund_id, currency, amount) "
        f"VALUES (1, {ids['bank']}, {ids['gen']}, 'CNY', -500)"], "entry 1 is already posted")
    assert verify_ledger(session) == []


def test_postgresql_refuses_a_balanced_entry_that_bypasses_the_chain_head(pg_app):
    session, ids = _pg_books()
    _refused_at_commit(session, [
        "INSERT INTO journal_entries (id, entry_date, memo, source, posted_by, idempotency_key, "
        "hash, created_at) VALUES (2, '2026-10-03', 'raw', '', '', 'raw-2', '', now())",
        "INSERT INTO postings (entry_id, account_id, fund_id, currency, amount) "
        f"VALUES (2, {ids['bank']}, {ids['gen']}, 'CNY', 500)",
        "INSERT INTO postings (entry_id, account_id, fund_id, currency, amount) "
        f"VALUES (2, {ids['bank']}, {ids['gen']}, 'CNY', -500)"], "entry 2 is beyond the chain head")


def test_postgresql_refuses_moving_the_chain_head_back(pg_app):
    session, _ids = _pg_books()
    _refused_at_commit(session, ["UPDATE ledger_chain_heads SET last_entry_id = 0"],
                       "only moves forward")
    assert verify_ledger(session) == []
