"""Community sub-funds: a liaison asks, another finance officer decides, the ledger pays."""
import pytest
import sqlalchemy as sa

from campaigns.homes import subfunds
from campaigns.homes.models import Disbursement
from campaigns.homes.state import HomesError
from core.extensions import db
from ledger import chart
from ledger.balances import account_balance, fund_net_assets
from ledger.models import JournalEntry
from ledger.verify import verify_ledger


def _fund(code="SF-HN"):
    return subfunds.subfund_or_none(db.session, code)


def _ask(people, fen=35_000_000, purpose="1,750 packs at ¥200 per household"):
    d = subfunds.request_disbursement(db.session, _fund(), fen, purpose, people["liaison"])
    db.session.commit()
    return d


def test_approval_posts_program_expense_from_the_subfund(people, give, english):
    give("SF-HN", 40_000_000)
    d = _ask(people)
    subfunds.approve_disbursement(db.session, d, people["finance"])
    db.session.commit()
    assert d.status == "approved" and d.entry_id is not None
    entry = db.session.get(JournalEntry, d.entry_id)
    assert entry.idempotency_key == f"disbursement:{d.id}"
    assert sorted((p.account.code, p.fund.code, p.amount) for p in entry.postings) == [
        (chart.BANK, "SF-HN", -35_000_000), (chart.PROGRAM_EXPENSE, "SF-HN", 35_000_000)]
    summary = subfunds.subfund_summary(db.session, _fund())
    assert (summary.balance_fen, summary.gifts_in_fen, summary.disbursed_fen) == (
        5_000_000, 40_000_000, 35_000_000)
    assert verify_ledger(db.session) == []


def test_the_requester_cannot_approve_their_own_request(people, give, english, make_user):
    give("SF-HN", 40_000_000)
    both = make_user("finance", "both@example.org")
    subfunds.add_liaison(db.session, both, "HN")
    d = subfunds.request_disbursement(db.session, _fund(), 10_000, "packs", both)
    db.session.commit()
    with pytest.raises(HomesError) as err:
        subfunds.approve_disbursement(db.session, d, both)
    db.session.rollback()
    assert "someone else in finance must decide" in str(err.value.message)
    assert db.session.get(Disbursement, d.id).status == "requested"
    assert account_balance(db.session, chart.PROGRAM_EXPENSE, "SF-HN") == 0


def test_more_than_the_balance_is_refused_with_the_shortfall(people, give, english):
    give("SF-HN", 30_000_000)
    d = _ask(people, fen=35_000_000)
    with pytest.raises(HomesError) as err:
        subfunds.approve_disbursement(db.session, d, people["finance"])
    db.session.rollback()
    assert "50000.00 yuan short" in str(err.value.message)
    assert db.session.get(Disbursement, d.id).status == "requested"
    assert fund_net_assets(db.session, "SF-HN") == 30_000_000
    assert db.session.scalar(sa.select(sa.func.count(JournalEntry.id))) == 1


def test_only_a_liaison_of_the_street_may_ask(people, english):
    with pytest.raises(HomesError) as err:
        subfunds.request_disbursement(db.session, _fund("SF-LJZ"), 100, "packs", people["liaison"])
    assert "Only a liaison" in str(err.value.message)


def test_reject_then_no_second_decision(people, give, english):
    give("SF-HN", 40_000_000)
    d = _ask(people)
    subfunds.reject_disbursement(db.session, d, people["finance"], "not this year")
    db.session.commit()
    with pytest.raises(HomesError) as err:
        subfunds.approve_disbursement(db.session, d, people["finance2"])
    assert "status Rejected" in str(err.value.message)
    assert account_balance(db.session, chart.PROGRAM_EXPENSE, "SF-HN") == 0


def test_pii_keys_come_from_the_environment(monkeypatch):
    from cryptography.fernet import Fernet

    from campaigns.homes.pii import keys_from

    derived = keys_from({"SECRET_KEY": "s"})
    assert derived.decrypt(derived.encrypt("310115")) == "310115"
    fernet = Fernet.generate_key().decode()
    monkeypatch.setenv("WANJIA_PII_KEY", fernet)
    monkeypatch.setenv("WANJIA_PII_HASH_KEY", "another")
    explicit = keys_from({"SECRET_KEY": "s"})
    assert explicit.fernet_key == fernet.encode()
    assert explicit.digest("x") != derived.digest("x")
