"""Trial balance, general ledger, fund statement; CLI and exports checked against them."""
import csv
import datetime as dt
import io
import json
import shutil
import subprocess
from decimal import Decimal

import pytest
from tests.ledger.books import gift, post
from tests.conftest import component_missing

from ledger import chart
from ledger.export import export_beancount, export_csv, export_hledger
from ledger.money import to_decimal
from ledger.posting import ensure_fund, reverse_entry
from ledger.reports import fund_statement, general_ledger, trial_balance


@pytest.fixture
def drive(session, huinan):
    """A small year-end drive: gifts, a match, a payout, goods, a grant, a refund."""
    ensure_fund(session, "GOODS-LINYI", name_zh="临沂年货", name_en="Linyi goods", kind="goods")
    gift(session, "pi_1", huinan, 10000, fee=340, date=dt.date(2026, 9, 28))
    gift(session, "pi_2", "GOODS-LINYI", 50000, fee=1700, date=dt.date(2026, 10, 2))
    post(session, "match:pi_1", (chart.PLEDGES_RECEIVABLE, huinan, 10000),
         (chart.DONATION_INCOME, huinan, -10000), date=dt.date(2026, 10, 2))
    post(session, "po_1", (chart.BANK, huinan, 9660), (chart.PROCESSOR_CLEARING, huinan, -9660),
         (chart.BANK, "GOODS-LINYI", 48300), (chart.PROCESSOR_CLEARING, "GOODS-LINYI", -48300),
         date=dt.date(2026, 10, 4))
    post(session, "goods-1", (chart.INVENTORY, "GOODS-LINYI", 30000),
         (chart.SUPPLIER_PAYABLE, "GOODS-LINYI", -30000), date=dt.date(2026, 10, 10))
    post(session, "pack-1", (chart.PROGRAM_EXPENSE, "GOODS-LINYI", 12000),
         (chart.INVENTORY, "GOODS-LINYI", -12000), date=dt.date(2026, 10, 12))
    post(session, "grant-1", (chart.PROGRAM_EXPENSE, huinan, 5000), (chart.BANK, huinan, -5000),
         date=dt.date(2026, 10, 15))
    post(session, "ops-1", (chart.ADMIN_EXPENSE, "GEN", 800), (chart.CASH, "GEN", -800),
         date=dt.date(2026, 10, 15))
    reverse_entry(session, 3, date=dt.date(2026, 10, 20), memo="sponsor withdrew",
                  idempotency_key="re_match")
    session.commit()
    return session


EXPECTED = {  # code: (debit, credit), all funds, in fen
    chart.CASH: (0, 800), chart.BANK: (52960, 0), chart.INVENTORY: (18000, 0),
    chart.SUPPLIER_PAYABLE: (0, 30000), chart.DONATION_INCOME: (0, 60000),
    chart.PROGRAM_EXPENSE: (17000, 0), chart.ADMIN_EXPENSE: (800, 0),
    chart.FUNDRAISING_EXPENSE: (2040, 0),
}


def test_trial_balance_now_and_as_of(drive):
    tb = trial_balance(drive)
    assert {r.code: (r.debit, r.credit) for r in tb.rows} == EXPECTED
    assert tb.total_debit == tb.total_credit == 90800
    early = trial_balance(drive, as_of=dt.date(2026, 9, 30))
    assert early.balances() == {chart.PROCESSOR_CLEARING: 9660, chart.DONATION_INCOME: -10000,
                                chart.FUNDRAISING_EXPENSE: 340}
    assert trial_balance(drive, as_of=dt.date(2026, 12, 31)).rows == tb.rows
    assert trial_balance(drive, fund_code="GEN").balances() == {
        chart.CASH: -800, chart.ADMIN_EXPENSE: 800}


def test_general_ledger_runs_a_balance(drive):
    gl = general_ledger(drive, chart.BANK, "SUB-HUINAN")
    assert [(ln.entry_id, ln.debit, ln.credit, ln.balance) for ln in gl.lines] == [
        (4, 9660, 0, 9660), (7, 0, 5000, 4660)]
    october = general_ledger(drive, chart.DONATION_INCOME, start=dt.date(2026, 10, 1),
                             end=dt.date(2026, 10, 31))
    assert october.opening == -10000 and october.closing == -60000
    assert [ln.fund for ln in october.lines] == ["GOODS-LINYI", "SUB-HUINAN", "SUB-HUINAN"]


def test_fund_statement_opening_in_out_closing(drive):
    st = fund_statement(drive, "SUB-HUINAN", dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert (st.opening, st.inflow, st.outflow, st.closing) == (9660, 10000, 15000, 4660)
    assert [(r.code, r.debit, r.credit) for r in st.by_account] == [
        (chart.DONATION_INCOME, 10000, 10000), (chart.PROGRAM_EXPENSE, 5000, 0)]
    assert [(r.code, r.balance) for r in st.holdings] == [(chart.BANK, 4660)]


def test_trial_balance_command_formats(drive, runner):
    result = runner.invoke(args=["ledger", "trial-balance", "--format", "json"])
    data = json.loads(result.output)
    assert data["total_debit"] == data["total_credit"] == "908.00"
    assert {r["code"]: (r["debit"], r["credit"]) for r in data["rows"]}[chart.BANK] == ("529.60",
                                                                                       "0.00")
    rows = list(csv.reader(io.StringIO(runner.invoke(
        args=["ledger", "trial-balance", "--format", "csv", "--as-of", "2026-09-30"]).output)))
    assert rows[0] == ["code", "name_zh", "name_en", "type", "debit", "credit"]
    assert rows[-1] == ["", "合计", "Total", "", "100.00", "100.00"]
    table = runner.invoke(args=["ledger", "trial-balance"]).output
    assert "Bank deposits" in table and "908.00" in table


def test_csv_and_beancount_exports(drive, tmp_path, runner):
    out = io.StringIO()
    assert export_csv(drive, out) == 9
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 24 and sum(Decimal(r["amount"]) for r in rows) == 0
    assert rows[0]["account_code"] == chart.PROCESSOR_CLEARING and rows[0]["debit"] == "100.00"
    bean = io.StringIO()
    assert export_beancount(drive, bean) == 9
    assert "  Assets:1002:SUB-HUINAN  96.60 CNY" in bean.getvalue()
    result = runner.invoke(args=["ledger", "export", "--format", "csv", "-o",
                                 str(tmp_path / "p.csv")])
    assert result.exit_code == 0 and "wrote 9 entries" in result.output


@pytest.mark.hledger
def test_hledger_reads_the_export_and_agrees_with_the_trial_balance(drive, tmp_path):
    if shutil.which("hledger") is None:
        component_missing("hledger is not installed")
    journal = tmp_path / "books.journal"
    with open(journal, "w", encoding="utf-8") as out:
        assert export_hledger(drive, out) == 9
    subprocess.run(["hledger", "-f", str(journal), "check", "--strict"], check=True)
    report = subprocess.run(["hledger", "-f", str(journal), "bal", "-O", "csv", "--no-total",
                             "--depth", "2"], check=True, capture_output=True, text=True).stdout
    theirs = {}
    for name, amount in list(csv.reader(io.StringIO(report)))[1:]:
        value = amount.replace("CNY", "").strip()
        theirs[name.split(":")[1]] = Decimal(value)
    ours = {code: to_decimal(d - c) for code, (d, c) in EXPECTED.items()}
    assert {k: v for k, v in theirs.items() if v} == ours
