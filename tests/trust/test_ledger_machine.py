"""A hypothesis state machine over the ledger engine alone (issue #10): gifts and spending in
two currencies and three funds, reversals, replays of an idempotency key, month closes and
reopenings, in any order. A model predicts what each step does — posted, or refused with
which error — and after every step: ``verify_ledger`` is clean, every fund balances per
currency, no restricted fund holds less than nothing, and the balances equal the model's.
``HYPOTHESIS_PROFILE=soak`` (``make soak``) runs many more and longer programs."""
import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy.orm import Session

from core.model import Base
from ledger import chart
from ledger.balances import fund_net_assets
from ledger.errors import AlreadyReversed, ClosedPeriod, InsufficientFunds, PeriodStateError
from ledger.models import Balance, Fund
from ledger.periods import close_period, reopen_period
from ledger.posting import EntryDraft, Line, ensure_fund, post_entry, reverse_entry
from ledger.verify import verify_ledger
from tests.trust.profiles import examples

TABLES = ["accounts", "funds", "journal_entries", "postings", "balances", "ledger_chain_heads",
          "periods", "period_events"]
RESTRICTED = ("SF-HN", "GOODS-LY")
FUNDS = ("GEN",) + RESTRICTED
MONTHS = ("2026-01", "2026-02", "2026-03")
CURRENCIES = ("CNY", "USD")


def day_in(month: str) -> dt.date:
    year, mon = map(int, month.split("-"))
    return dt.date(year, mon, 15)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.engine = sa.create_engine("sqlite://")
        Base.metadata.create_all(self.engine, tables=[Base.metadata.tables[t] for t in TABLES])
        self.session = Session(self.engine)
        chart.seed_chart(self.session)
        for code in RESTRICTED:
            ensure_fund(self.session, code, name_zh=code, kind="subfund")
        self.session.commit()
        #: (fund, currency) → net assets the model expects.
        self.net = defaultdict(int)
        #: entry id → (fund, currency, effect on net assets, reversed?, draft)
        self.entries = {}
        self.closed = set()
        self.counter = 0

    def teardown(self):
        self.session.close()
        self.engine.dispose()

    def _key(self) -> str:
        self.counter += 1
        return f"k{self.counter}"

    def _try(self, action, expected_error):
        """Run ``action``; it must raise ``expected_error`` (and write nothing) or succeed."""
        try:
            result = action()
        except (ClosedPeriod, InsufficientFunds, AlreadyReversed, PeriodStateError) as err:
            self.session.rollback()
            assert type(err) is expected_error, (err, expected_error)
            return None
        self.session.commit()
        assert expected_error is None, f"expected {expected_error.__name__}"
        return result

    def _expected(self, month, fund, currency, delta):
        if month in self.closed:
            return ClosedPeriod
        if fund in RESTRICTED and self.net[(fund, currency)] + delta < 0:
            return InsufficientFunds
        return None

    def _post(self, kind, fund, currency, amount, month):
        delta = amount if kind == "gift" else -amount
        account = chart.PROCESSOR_CLEARING if kind == "gift" else chart.BANK
        other = chart.DONATION_INCOME if kind == "gift" else chart.PROGRAM_EXPENSE
        draft = EntryDraft(day_in(month), kind, (Line(account, fund, delta, currency),
                                                  Line(other, fund, -delta, currency)), self._key())
        entry = self._try(lambda: post_entry(self.session, draft),
                          self._expected(month, fund, currency, delta))
        if entry is not None:
            self.net[(fund, currency)] += delta
            self.entries[entry.id] = [fund, currency, delta, False, draft]

    @rule(fund=st.sampled_from(FUNDS), currency=st.sampled_from(CURRENCIES),
          amount=st.integers(1, 50_000), month=st.sampled_from(MONTHS))
    def gift(self, fund, currency, amount, month):
        self._post("gift", fund, currency, amount, month)

    @rule(fund=st.sampled_from(FUNDS), currency=st.sampled_from(CURRENCIES),
          amount=st.integers(1, 50_000), month=st.sampled_from(MONTHS))
    def spend(self, fund, currency, amount, month):
        self._post("spend", fund, currency, amount, month)

    @precondition(lambda self: self.entries)
    @rule(pick=st.integers(0, 10_000), month=st.sampled_from(MONTHS))
    def reverse(self, pick, month):
        entry_id = sorted(self.entries)[pick % len(self.entries)]
        fund, currency, delta, reversed_, _draft = self.entries[entry_id]
        # The engine checks the period first, then the reversal, then the fund.
        expected = self._expected(month, fund, currency, -delta)
        if reversed_ and expected is not ClosedPeriod:
            expected = AlreadyReversed
        done = self._try(lambda: reverse_entry(self.session, entry_id, date=day_in(month),
                                               memo="reversal", idempotency_key=self._key()),
                         expected)
        if done is not None:
            self.net[(fund, currency)] -= delta
            self.entries[entry_id][3] = True

    @precondition(lambda self: self.entries)
    @rule(pick=st.integers(0, 10_000))
    def replay(self, pick):
        """The same idempotency key again: the first entry, nothing posted."""
        entry_id = sorted(self.entries)[pick % len(self.entries)]
        again = post_entry(self.session, self.entries[entry_id][4])
        self.session.commit()
        assert again.id == entry_id

    @rule(month=st.sampled_from(MONTHS))
    def close(self, month):
        expected = PeriodStateError if month in self.closed else None
        if self._try(lambda: close_period(self.session, month, by="finance"), expected):
            self.closed.add(month)

    @rule(month=st.sampled_from(MONTHS))
    def reopen(self, month):
        expected = None if month in self.closed else PeriodStateError
        if self._try(lambda: reopen_period(self.session, month, by="admin", reason="fix"), expected):
            self.closed.discard(month)

    @invariant()
    def books_verify_and_match_the_model(self):
        assert verify_ledger(self.session) == []
        per_fund = self.session.execute(
            sa.select(Fund.code, Balance.currency, sa.func.sum(Balance.amount))
            .join(Fund, Fund.id == Balance.fund_id).group_by(Fund.code, Balance.currency)).all()
        assert all(total == 0 for _f, _c, total in per_fund), per_fund
        for fund in FUNDS:
            for currency in CURRENCIES:
                held = fund_net_assets(self.session, fund, currency)
                assert held == self.net[(fund, currency)]
                assert fund not in RESTRICTED or held >= 0


LedgerMachine.TestCase.settings = settings(
    max_examples=examples(20), stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_ledger_state_machine = LedgerMachine.TestCase
