"""verify_ledger recomputes the hash chain and every invariant, and finds tampering."""
import datetime as dt

import pytest
import sqlalchemy as sa
from tests.ledger.books import gift, post

from ledger import chart
from ledger.periods import close_period
from ledger.posting import reverse_entry
from ledger.verify import verify_ledger


@pytest.fixture
def books(session, huinan):
    gift(session, "pi_1", huinan, 10000, fee=340)
    gift(session, "pi_2", huinan, 5000, date=dt.date(2026, 10, 6))
    post(session, "grant-1", (chart.PROGRAM_EXPENSE, huinan, 3000),
         (chart.PROCESSOR_CLEARING, huinan, -3000), date=dt.date(2026, 10, 7))
    reverse_entry(session, 2, date=dt.date(2026, 10, 8), memo="refund", idempotency_key="re_2")
    session.commit()
    return session


def _behind_the_ledgers_back(session, sql):
    """Run raw SQL with the append-only triggers out of the way (as an attacker would)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        session.execute(sa.text(sql))
    else:
        session.execute(sa.text("DROP TRIGGER IF EXISTS postings_no_update"))
        session.execute(sa.text("DROP TRIGGER IF EXISTS journal_entries_no_update"))
        session.execute(sa.text("DROP TRIGGER IF EXISTS journal_entries_no_delete"))
        session.execute(sa.text("DROP TRIGGER IF EXISTS postings_no_delete"))
        session.execute(sa.text(sql))
    session.commit()


def test_clean_books_verify_clean(books):
    assert verify_ledger(books) == []


def test_an_edited_posting_is_found(books):
    _behind_the_ledgers_back(books, "UPDATE postings SET amount = 900000 WHERE id = 1")
    problems = verify_ledger(books)
    assert "Entry 1: its hash does not match its content or its place in the chain " \
           "(changed behind the ledger's back?)." in problems
    assert "Entry 1 does not balance within fund SUB-HUINAN: off by 8900.00 CNY." in problems
    assert any(p.startswith("The stored balance of 100901 in fund SUB-HUINAN is 66.60 CNY but its postings sum to 8966.60")
               for p in problems)


def test_an_edited_memo_and_a_deleted_last_entry_are_found(books):
    _behind_the_ledgers_back(books, "UPDATE journal_entries SET memo = 'nothing to see' "
                                    "WHERE id = 2")
    assert verify_ledger(books) == [
        "Entry 2: its hash does not match its content or its place in the chain "
        "(changed behind the ledger's back?)."]
    _behind_the_ledgers_back(books, "DELETE FROM postings WHERE entry_id = 4")
    _behind_the_ledgers_back(books, "DELETE FROM journal_entries WHERE id = 4")
    problems = verify_ledger(books)
    assert "The chain head says the last entry is 4, but the last entry found is 3 " \
           "(entries removed or added?)." in problems


def test_a_posting_slipped_into_a_closed_period_is_found(books):
    close_period(books, "2026-10", by="finance@example.org")
    books.commit()
    assert verify_ledger(books) == []
    _behind_the_ledgers_back(books, "UPDATE journal_entries SET created_at = '2099-01-01 00:00:00' "
                                    "WHERE id = 3")
    assert "Entry 3 was written into the closed period 2026-10 after it closed." \
        in verify_ledger(books)


def test_the_verify_command_exits_non_zero_on_problems(books, runner):
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "no problems" in result.output
    _behind_the_ledgers_back(books, "UPDATE balances SET amount = amount + 1 WHERE account_id = 12")
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "The stored balance of 4101 in fund SUB-HUINAN is -99.99 CNY but its postings sum " \
           "to -100.00." in result.output
