"""Bad Stripe files: each refused with a message naming the line or column, nothing written."""
import io
from datetime import datetime

import pytest
import sqlalchemy as sa

from core.extensions import db
from finance.stripe_csv import StripeFileError, parse_stripe_csv
from finance.stripe_models import StripeBalanceLine
from tests.finance.stripe_support import HEADER, NOV_CSV, csv_bytes, drive, entry_count  # noqa: F401

GOOD = ",,txn_a,2026-11-03 08:15,cny,100.00,0.90,99.10,charge,ch_a,pi_a"


def problems(data: bytes) -> list[str]:
    with pytest.raises(StripeFileError) as err:
        parse_stripe_csv(data)
    return [str(p) for p in err.value.problems]


def test_the_fixture_reads_in_exact_fen():
    lines = parse_stripe_csv(NOV_CSV.read_bytes())
    assert [(line.balance_transaction_id, line.gross_fen, line.fee_fen, line.net_fen)
            for line in lines][:2] == [("txn_wj1101", 10_000, 90, 9_910),
                                       ("txn_wj1102", 20_000, 120, 19_880)]
    assert lines[0].currency == "CNY" and lines[0].payout_id == "po_wj1126A"
    assert lines[4].gross_fen == -10_000 and lines[5].payout_id == ""


def test_iso_and_stripe_dates_are_read_and_others_refused_with_their_line():
    data = csv_bytes(",,txn_1,2026-11-03T08:15:00Z,cny,1.00,0.00,1.00,charge,ch_1,pi_1",
                     ",,txn_2,2026-11-03 16:15:00+08:00,cny,1.00,0.00,1.00,charge,ch_2,pi_2",
                     ",,txn_3,2026-11-03 08:15,cny,1.00,0.00,1.00,charge,ch_3,pi_3",
                     ",,txn_4,03/11/2026 08:15,cny,1.00,0.00,1.00,charge,ch_4,pi_4")
    assert problems(data) == ["Line 5: 03/11/2026 08:15 in created_utc is not a date we can "
                              "read; use 2026-11-03 08:15 or ISO 8601 (2026-11-03T08:15:00Z)."]
    lines = parse_stripe_csv(data.replace(b"03/11/2026 08:15", b"2026-11-03 08:15:00"))
    assert {line.created_utc for line in lines} == {datetime(2026, 11, 3, 8, 15)}


def test_three_decimals_and_words_are_not_amounts():
    data = csv_bytes(",,txn_1,2026-11-03 08:15,cny,100.005,0.00,100.005,charge,ch_1,pi_1",
                     ",,txn_2,2026-11-03 08:15,cny,1,234.00,0.00,1.00,charge,ch_2,pi_2")
    found = problems(data)
    assert found[0] == "Line 2: 100.005 in gross has more decimals than CNY allows."
    assert found[1] == "Line 2: 100.005 in net has more decimals than CNY allows."
    assert len(found) == 3 and found[2].startswith("Line 3: ")


def test_a_net_that_is_not_gross_less_fee_is_refused():
    data = csv_bytes(",,txn_1,2026-11-03 08:15,cny,100.00,0.90,99.00,charge,ch_1,pi_1")
    assert problems(data) == ["Line 2: gross 100.00 less fee 0.90 is not net 99.00."]


def test_duplicate_lines_name_both_lines():
    assert problems(csv_bytes(GOOD, GOOD)) == [
        "Line 3 repeats balance transaction txn_a, first seen on line 2."]


def test_missing_columns_are_named():
    data = b"balance_transaction_id,created_utc,currency,gross,reporting_category\n" \
           b"txn_1,2026-11-03 08:15,cny,1.00,charge\n"
    assert problems(data) == ["Columns missing from the file: fee, net."]


def test_a_gbk_file_is_refused_as_not_utf8():
    data = csv_bytes(GOOD.replace("ch_a", "慈善")).decode("utf-8").encode("gbk")
    assert problems(data)[0].startswith("The file is not UTF-8 text (byte ")


def test_an_excel_workbook_given_as_csv_is_recognised():
    import openpyxl

    book, out = openpyxl.Workbook(), io.BytesIO()
    book.active.append(HEADER.strip().split(","))
    book.save(out)
    assert problems(out.getvalue())[0].startswith("This is an Excel workbook, not a CSV file.")


def test_a_payout_whose_lines_do_not_add_up_is_refused():
    data = csv_bytes("po_1,2026-11-10 00:00,txn_1,2026-11-03 08:15,cny,100.00,0.90,99.10,charge,ch_1,pi_1",
                     ",,txn_p,2026-11-10 00:00,cny,-100.00,0.00,-100.00,payout,po_1,")
    assert problems(data) == ["Line 3: payout po_1 is 100.00 but the lines it carried add up "
                              "to 99.10."]
    parse_stripe_csv(data.replace(b"-100.00,0.00,-100.00", b"-99.10,0.00,-99.10"))


# -- through the page ------------------------------------------------------------------------

def _upload(client, data: bytes, name="report.csv"):
    return client.post("/finance/stripe/import?lang=en",
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_bad_file_through_the_page_is_a_400_naming_the_line_and_writes_nothing(
        client, login, drive):
    login("finance")
    entries = entry_count()
    good_then_bad = NOV_CSV.read_bytes() + b",,txn_bad,yesterday,yesterday,,,cny,1.00,0.00,1.00,charge\n"
    resp = _upload(client, good_then_bad)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Line 8: yesterday in created_utc" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StripeBalanceLine)) == 0
    assert entry_count() == entries


def test_the_fixture_through_the_page(client, login, drive):
    login("finance")
    resp = _upload(client, NOV_CSV.read_bytes())
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/finance/stripe/unmatched")
    page = client.get("/finance/stripe/unmatched?month=2026-11&lang=en").get_data(as_text=True)
    # Nothing is in the books here: five charges without a gift, one refund without one.
    assert page.count('data-reason="no_donation"') == 5
    assert page.count('data-reason="no_refund"') == 1
    assert "No donation for pi_wj1101 in the books." in page
    lines = client.get("/finance/stripe/lines?month=2026-11&status=unmatched").get_data(as_text=True)
    assert lines.count('data-status="unmatched"') == 6
    assert client.get("/finance/stripe/lines?status=bogus").status_code == 404
    assert client.get("/finance/stripe/payouts?month=2026-13").status_code == 404


def test_auditors_read_but_do_not_import(client, login, drive):
    login("auditor")
    for path in ("/finance/stripe/", "/finance/stripe/lines", "/finance/stripe/payouts",
                 "/finance/stripe/unmatched"):
        assert client.get(path).status_code == 200, path
    assert _upload(client, NOV_CSV.read_bytes()).status_code == 403


def test_staff_cannot_see_the_reconciliation(client, login):
    login("staff")
    assert client.get("/finance/stripe/").status_code == 403


def test_the_command_line_imports_and_names_the_bad_line(runner, drive, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(",,txn_1,2026-11-03 08:15,cny,1.000,0.00,1.00,charge,ch_1,pi_1"))
    result = runner.invoke(args=["stripe-recon", "import", str(bad)])
    # The command speaks the default language, Chinese ("Line 2: 1.000 in gross has more …").
    assert result.exit_code == 1 and "第2行：gross 中的 1.000 小数位数超过了" in result.output
    result = runner.invoke(args=["stripe-recon", "import", str(NOV_CSV)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("6 new lines, 0 already imported, 0 payouts booked, "
                                     "6 lines unmatched")


def test_a_posting_the_ledger_refuses_is_a_message_and_writes_nothing(client, login, drive,
                                                                      monkeypatch):
    from finance import stripe_recon
    from ledger.errors import InsufficientFunds

    def refuse(session, draft):
        raise InsufficientFunds("SF-LJZ", 5)

    monkeypatch.setattr(stripe_recon, "post_in_open_month", refuse)
    login("finance")
    data = csv_bytes(",,txn_f,2026-11-03 08:15,cny,-0.05,0.00,-0.05,fee,,")
    resp = _upload(client, data)
    assert resp.status_code == 400
    assert "The restricted fund SF-LJZ does not hold enough" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StripeBalanceLine)) == 0
