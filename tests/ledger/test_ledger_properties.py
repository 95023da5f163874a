"""Random valid and invalid entries: after every step every invariant holds, and every
refusal leaves the ledger exactly as it was."""
import datetime as dt

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from core.model import Base
from ledger import chart
from ledger.errors import LedgerError
from ledger.models import Balance, ChainHead, JournalEntry, Posting
from ledger.posting import EntryDraft, Line, ensure_fund, post_entry, reverse_entry
from ledger.reports import trial_balance
from ledger.verify import verify_ledger

FUNDS = ["GEN", "SUB-A", "SUB-B"]
ACCOUNTS = [chart.BANK, chart.PROCESSOR_CLEARING, chart.INVENTORY, chart.SUPPLIER_PAYABLE,
            chart.DONATION_INCOME, chart.PROGRAM_EXPENSE, chart.FUNDRAISING_EXPENSE]
TABLES = ["accounts", "funds", "journal_entries", "postings", "balances", "ledger_chain_heads",
          "periods", "period_events"]

amounts = st.integers(min_value=-50_000, max_value=50_000).filter(bool)
raw_entry = st.tuples(st.just("raw"), st.sampled_from(FUNDS),
                      st.lists(st.tuples(st.sampled_from(ACCOUNTS), amounts), min_size=1,
                               max_size=3),
                      st.sampled_from(ACCOUNTS), st.sampled_from([0, 0, 0, 1]))
gift = st.tuples(st.just("gift"), st.sampled_from(FUNDS), st.integers(1, 30_000))
spend = st.tuples(st.just("spend"), st.sampled_from(FUNDS), st.integers(1, 30_000))
reverse = st.tuples(st.just("reverse"), st.integers(0, 30))
repeat = st.tuples(st.just("repeat"), st.integers(0, 30), st.booleans())
operations = st.lists(st.one_of(raw_entry, gift, spend, reverse, repeat), min_size=5, max_size=25)


def _draft(op, key):
    day = dt.date(2026, 10, 5)
    if op[0] == "gift":
        lines = [(chart.PROCESSOR_CLEARING, op[1], op[2]), (chart.DONATION_INCOME, op[1], -op[2])]
    elif op[0] == "spend":
        lines = [(chart.PROGRAM_EXPENSE, op[1], op[2]), (chart.BANK, op[1], -op[2])]
    else:
        _kind, fund, pairs, closing, skew = op
        lines = [(a, fund, m) for a, m in pairs]
        total = sum(m for _a, m in pairs) + skew
        lines.append((closing, fund, -total if total else 1))
    return EntryDraft(day, op[0], tuple(Line(a, f, m) for a, f, m in lines), key)


def _snapshot(session):
    return (
        session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)),
        session.scalar(sa.select(sa.func.count()).select_from(Posting)),
        tuple(session.execute(sa.select(Balance.account_id, Balance.fund_id, Balance.amount)
                              .order_by(Balance.account_id, Balance.fund_id)).all()),
        tuple(session.execute(sa.select(ChainHead.last_entry_id, ChainHead.last_hash)).all()),
    )


def _step(session, op, n, posted):
    if op[0] == "reverse":
        if posted:
            entry_id = posted[op[1] % len(posted)][0]
            reverse_entry(session, entry_id, date=dt.date(2026, 10, 6), memo="reverse",
                          idempotency_key=f"rev-{entry_id}-{n}")
        return
    if op[0] == "repeat":
        if posted:
            entry_id, draft = posted[op[1] % len(posted)]
            if op[2]:
                assert post_entry(session, draft).id == entry_id
            else:
                post_entry(session, _draft(("gift", "GEN", 12345), draft.idempotency_key))
        return
    draft = _draft(op, f"k{n}")
    posted.append((post_entry(session, draft).id, draft))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_random_entries_keep_every_invariant(ops):
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[Base.metadata.tables[t] for t in TABLES])
    with Session(engine) as session:
        chart.seed_chart(session)
        for code in FUNDS[1:]:
            ensure_fund(session, code, name_zh=code, kind="subfund")
        session.commit()
        posted = []
        for n, op in enumerate(ops):
            before = _snapshot(session)
            try:
                _step(session, op, n, posted)
                session.commit()
            except LedgerError:
                # Refused before writing anything: a caller may even carry on and commit.
                assert _snapshot(session) == before
                session.rollback()
            assert verify_ledger(session) == []
            tb = trial_balance(session)
            assert tb.total_debit == tb.total_credit
    engine.dispose()
