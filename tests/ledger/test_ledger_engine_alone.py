"""The engine runs without Flask: a script or a job can drive it from a plain Session."""
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.extensions import db
from core.model import Base
from ledger import chart
from ledger.balances import fund_net_assets
from ledger.chart import add_account
from ledger.errors import InvalidAccount
from ledger.models import Account
from ledger.posting import EntryDraft, Line, ensure_fund, post_entry
from ledger.reports import trial_balance
from ledger.verify import verify_ledger

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_engine_pulls_in_no_flask():
    code = (
        "import sys; import ledger.money, ledger.errors, ledger.chart, ledger.models, "
        "ledger.posting, ledger.balances, ledger.periods, ledger.reports, ledger.verify, "
        "ledger.export, ledger.schema; "
        "bad = sorted(m for m in sys.modules if m == 'flask' or m.startswith(('flask', "
        "'campaigns', 'donate', 'core.auth', 'core.extensions'))); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_a_plain_session_posts_reports_and_verifies(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'books.sqlite3'}")
    Base.metadata.create_all(engine, tables=[t for n, t in Base.metadata.tables.items()
                                             if n in LEDGER_TABLES])
    with Session(engine) as session:
        chart.seed_chart(session)
        ensure_fund(session, "SUB-HUINAN", name_zh="惠南镇", kind="subfund")
        post_entry(session, EntryDraft(dt.date(2026, 10, 5), "gift", (
            Line(chart.BANK, "SUB-HUINAN", 10000),
            Line(chart.DONATION_INCOME, "SUB-HUINAN", -10000)), "bank-line-1", source="bank"))
        session.commit()
    with Session(engine) as session:
        assert fund_net_assets(session, "SUB-HUINAN") == 10000
        assert trial_balance(session).total_debit == 10000
        assert verify_ledger(session) == []
    engine.dispose()


LEDGER_TABLES = {"accounts", "funds", "journal_entries", "postings", "balances",
                 "ledger_chain_heads", "periods", "period_events"}


def test_close_and_reopen_period_commands_check_roles(session, runner, make_user):
    make_user("finance", "fin@example.org")
    make_user("admin", "boss@example.org")
    refused = runner.invoke(args=["ledger", "close-period", "2026-09", "--by", "nobody@x.org"])
    assert refused.exit_code == 1 and "is not an active user with the role" in refused.output
    ok = runner.invoke(args=["ledger", "close-period", "2026-09", "--by", "fin@example.org"])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(args=["ledger", "close-period", "2026-09", "--by", "fin@example.org"])
    assert "The period 2026-09 is closed; it cannot be closed." in again.output
    not_admin = runner.invoke(args=["ledger", "reopen-period", "2026-09", "--by",
                                    "fin@example.org", "--reason", "x"])
    assert not_admin.exit_code == 1
    reopened = runner.invoke(args=["ledger", "reopen-period", "2026-09", "--by",
                                   "boss@example.org", "--reason", "late bank line"])
    assert reopened.exit_code == 0 and "reopened by boss@example.org" in reopened.output
    bad = runner.invoke(args=["ledger", "close-period", "2026-13", "--by", "fin@example.org"])
    assert "A period is a month written YYYY-MM" in bad.output


def test_seed_chart_command_is_idempotent(app, runner):
    assert runner.invoke(args=["ledger", "seed-chart"]).exit_code == 0
    assert runner.invoke(args=["ledger", "seed-chart"]).exit_code == 0
    codes = db.session.scalars(sa.select(Account.code)).all()
    assert len(codes) == len(set(codes)) == 15


def test_add_account_refuses_reuse_and_mistyped_codes(session):
    account = add_account(session, "100903", type="asset", name_zh="其他货币资金—微信",
                          name_en="WeChat Pay clearing")
    assert account.code == "100903"
    with pytest.raises(InvalidAccount, match="already in use"):
        add_account(session, "1002", type="asset", name_zh="x", name_en="x")
    with pytest.raises(InvalidAccount, match="does not fit the type expense"):
        add_account(session, "4102", type="expense", name_zh="x", name_en="x")
