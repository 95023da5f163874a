"""Textbook scenarios, each with the trial balance written out (amounts in fen)."""
import datetime as dt

import pytest
import sqlalchemy as sa
from tests.ledger.books import OCT, gift, post

from ledger import chart
from ledger.balances import account_balance, fund_balances, fund_net_assets
from ledger.errors import (AlreadyReversed, ClosedPeriod, IdempotencyConflict, InsufficientFunds,
                           InvalidEntry, UnbalancedEntry, UnknownAccount, UnknownFund)
from ledger.models import Balance, JournalEntry, Posting
from ledger.periods import close_period, period_history, reopen_period
from ledger.posting import EntryDraft, Line, ensure_fund, post_entries, reverse_entry
from ledger.reports import trial_balance


def counts(session):
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (JournalEntry, Posting, Balance))


def test_a_100_yuan_gift_with_a_3_40_fee(session, huinan):
    entry = gift(session, "pi_1", huinan, 10000, fee=340)
    session.commit()

    tb = trial_balance(session)
    assert [(r.code, r.debit, r.credit) for r in tb.rows] == [
        (chart.PROCESSOR_CLEARING, 9660, 0),
        (chart.DONATION_INCOME, 0, 10000),
        (chart.FUNDRAISING_EXPENSE, 340, 0),
    ]
    assert tb.total_debit == tb.total_credit == 10000
    assert fund_net_assets(session, huinan) == 9660
    assert [p.amount for p in entry.postings] == [10000, -10000, 340, -340]


def test_the_same_gift_matched_1_to_1_then_refunded(session, huinan):
    gift_entry = gift(session, "pi_1", huinan, 10000, fee=340)
    match = post(session, "match:pi_1", (chart.PLEDGES_RECEIVABLE, huinan, 10000),
                 (chart.DONATION_INCOME, huinan, -10000))
    session.commit()
    assert fund_net_assets(session, huinan) == 19660

    refund = reverse_entry(session, gift_entry.id, date=dt.date(2026, 10, 9), memo="refund pi_1",
                           idempotency_key="re_1")
    reverse_entry(session, match.id, date=dt.date(2026, 10, 9), memo="unmatch pi_1",
                  idempotency_key="re_1:match")
    session.commit()

    assert refund.reverses_id == gift_entry.id
    assert trial_balance(session).rows == []
    assert fund_net_assets(session, huinan) == 0
    # The gift stays in the books as it was; only the dated reversal undoes it.
    assert trial_balance(session, as_of=dt.date(2026, 10, 8)).balances() == {
        chart.PROCESSOR_CLEARING: 9660, chart.PLEDGES_RECEIVABLE: 10000,
        chart.DONATION_INCOME: -20000, chart.FUNDRAISING_EXPENSE: 340}
    with pytest.raises(AlreadyReversed, match=f"Entry {gift_entry.id} was already reversed"):
        reverse_entry(session, gift_entry.id, date=OCT, memo="again", idempotency_key="re_2")


def test_a_disbursement_beyond_the_sub_fund_is_refused(session, huinan):
    gift(session, "pi_1", huinan, 10000)
    post(session, "payout", (chart.BANK, huinan, 10000), (chart.PROCESSOR_CLEARING, huinan, -10000))
    session.commit()
    before = counts(session)

    with pytest.raises(InsufficientFunds) as err:
        post(session, "grant-1", (chart.PROGRAM_EXPENSE, huinan, 15000),
             (chart.BANK, huinan, -15000))
    assert err.value.fund_code == "SUB-HUINAN" and err.value.shortfall == 5000
    assert str(err.value) == ("The restricted fund SUB-HUINAN does not hold enough: this entry "
                              "would take it 50.00 CNY below zero.")
    assert counts(session) == before

    post(session, "grant-2", (chart.PROGRAM_EXPENSE, huinan, 10000), (chart.BANK, huinan, -10000))
    session.commit()
    assert fund_net_assets(session, huinan) == 0
    assert fund_balances(session, huinan) == {chart.DONATION_INCOME: -10000,
                                              chart.PROGRAM_EXPENSE: 10000}


def test_the_unrestricted_general_fund_may_go_below_zero(session):
    post(session, "rent", (chart.ADMIN_EXPENSE, chart.GENERAL_FUND, 5000),
         (chart.BANK, chart.GENERAL_FUND, -5000))
    assert fund_net_assets(session, chart.GENERAL_FUND) == -5000


def test_a_closed_period_refuses_late_postings_until_an_admin_reopens(session, huinan):
    gift(session, "pi_sep", huinan, 5000, date=dt.date(2026, 9, 30))
    close_period(session, "2026-09", by="finance@example.org")
    session.commit()

    with pytest.raises(ClosedPeriod, match="The period 2026-09 is closed"):
        gift(session, "pi_late", huinan, 5000, date=dt.date(2026, 9, 15))
    gift(session, "pi_oct", huinan, 5000, date=dt.date(2026, 10, 1))

    reopen_period(session, "2026-09", by="admin@example.org", reason="bank line missed")
    gift(session, "pi_late", huinan, 5000, date=dt.date(2026, 9, 15))
    session.commit()
    assert [(e.action, e.by, e.reason) for e in period_history(session, "2026-09")] == [
        ("close", "finance@example.org", ""), ("reopen", "admin@example.org", "bank line missed")]


def test_a_repeated_key_returns_the_first_entry_and_writes_nothing(session, huinan):
    first = gift(session, "evt_1", huinan, 10000, fee=340)
    session.commit()
    before = counts(session)

    again = gift(session, "evt_1", huinan, 10000, fee=340)
    assert again.id == first.id and counts(session) == before
    assert account_balance(session, chart.DONATION_INCOME, huinan) == -10000

    with pytest.raises(IdempotencyConflict, match="'evt_1' was already used by entry 1"):
        gift(session, "evt_1", huinan, 20000)
    assert counts(session) == before


def test_a_batch_posts_all_or_nothing(session, huinan):
    ok = EntryDraft(OCT, "a", (Line(chart.CASH, huinan, 100), Line(chart.DONATION_INCOME, huinan, -100)), "b1")
    spend = EntryDraft(OCT, "b", (Line(chart.PROGRAM_EXPENSE, huinan, 150),
                                  Line(chart.CASH, huinan, -150)), "b2")
    before = counts(session)
    with pytest.raises(InsufficientFunds):
        post_entries(session, [ok, spend])
    assert counts(session) == before
    entries = post_entries(session, [ok, ok])
    assert entries[0] is entries[1] and fund_net_assets(session, huinan) == 100


@pytest.mark.parametrize("lines, error, message", [
    ([(chart.BANK, "GEN", 100), (chart.DONATION_INCOME, "GEN", -90)], UnbalancedEntry,
     "CNY debits exceed credits by 0.10"),
    ([(chart.BANK, "GEN", 100), (chart.DONATION_INCOME, "SUB-HUINAN", -100)], UnbalancedEntry,
     "within fund GEN"),
    ([(chart.BANK, "GEN", 100), (chart.INTERFUND, "GEN", -100)], UnbalancedEntry,
     "interfund lines must cancel out"),
    ([(chart.BANK, "GEN", 0), (chart.DONATION_INCOME, "GEN", 0)], InvalidEntry, "non-zero"),
    ([(chart.BANK, "GEN", 1.5), (chart.DONATION_INCOME, "GEN", -1.5)], InvalidEntry,
     "whole number"),
    ([], InvalidEntry, "at least two lines"),
    ([("9999", "GEN", 100), (chart.DONATION_INCOME, "GEN", -100)], UnknownAccount, "'9999'"),
    ([(chart.BANK, "NOPE", 100), (chart.DONATION_INCOME, "NOPE", -100)], UnknownFund, "'NOPE'"),
])
def test_malformed_entries_are_refused_and_write_nothing(session, huinan, lines, error, message):
    before = counts(session)
    with pytest.raises(error, match=message):
        post(session, "bad", *lines)
    assert counts(session) == before


def test_money_moves_between_funds_through_the_interfund_account(session, huinan):
    """The general fund bears the fee of a gift designated to Huinan."""
    post(session, "pi_1", (chart.PROCESSOR_CLEARING, huinan, 10000),
         (chart.DONATION_INCOME, huinan, -10000),
         (chart.FUNDRAISING_EXPENSE, "GEN", 340), (chart.INTERFUND, "GEN", -340),
         (chart.INTERFUND, huinan, 340), (chart.PROCESSOR_CLEARING, huinan, -340))
    assert fund_net_assets(session, huinan) == 10000
    assert fund_net_assets(session, "GEN") == -340
    assert account_balance(session, chart.INTERFUND) == 0


def test_ensure_fund_is_idempotent_and_refuses_a_changed_restriction(session):
    from ledger.errors import InvalidFund

    a = ensure_fund(session, "GOODS-LINYI", name_zh="临沂物资", name_en="Linyi goods", kind="goods")
    assert ensure_fund(session, "GOODS-LINYI", name_zh="x", kind="goods").id == a.id
    with pytest.raises(InvalidFund, match="already exists as restricted goods"):
        ensure_fund(session, "GOODS-LINYI", name_zh="x", restriction="unrestricted", kind="goods")
    with pytest.raises(InvalidFund):
        ensure_fund(session, "has space", name_zh="x")
