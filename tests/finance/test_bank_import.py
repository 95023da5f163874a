"""Reading bank statements: amounts and dates parsed exactly, and every bad file refused with
a message that names the line or the column, writing nothing."""
import io

import pytest
import sqlalchemy as sa

from core.extensions import db
from finance.bank_import import StatementError, import_statement, parse_amount, parse_statement
from finance.bank_models import BankLine, BankMapping, BankStatement
from finance.bank_setup import CMB, ICBC, PRESETS
from ledger.money import MoneyError
from tests.finance.bank_support import CMB_CSV, ICBC_CSV, accounts, drive  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


HEADER = "交易日期,交易时间,交易金额,余额,交易摘要,对方户名,对方账号,附言,流水号"
PREAMBLE = "招商银行交易明细\n账号：121909876513579\n起止日期：20261101--20261130\n"


def cmb_file(*rows: str, header: str = HEADER) -> bytes:
    return (PREAMBLE + header + "\n" + "\n".join(rows) + "\n").encode("utf-8")


def mapping(name=CMB, **changes) -> BankMapping:
    return BankMapping(name=name, **{**PRESETS[name], **changes})


def problems(data: bytes, m: BankMapping | None = None) -> list[str]:
    with pytest.raises(StatementError) as err:
        parse_statement(data, m or mapping())
    return [str(msg) for msg in err.value.messages]


@pytest.mark.parametrize("text, fen", [
    ("1,234.56", 123_456), ("-1234.56", -123_456), ("¥1,234.56", 123_456),
    ("￥-12.30", -1_230), ("-¥5", -500), ("+1,000,000.1", 100_000_010), ("0.01", 1),
    (" 88.00 ", 8_800),
])
def test_amounts_are_read_exactly(text, fen):
    assert parse_amount(text) == fen


@pytest.mark.parametrize("text", ["1,234.567", "12,34.5", "1.2.3", "", "abc", "1e3", "--5",
                                  "-¥-5", "1 234,56"])
def test_ambiguous_amounts_are_refused(text):
    with pytest.raises(MoneyError):
        parse_amount(text)


def test_three_decimals_are_refused_naming_the_line():
    data = cmb_file("20261103,09:00:00,100.00,100.00,汇入,甲,,,1",
                    "20261104,09:00:00,1.005,101.01,汇入,乙,,,2")
    assert problems(data) == ["Line 6: an amount has more than two decimal places."]


@pytest.mark.parametrize("fmt, text", [("%Y-%m-%d", "2026-11-03"), ("%Y/%m/%d", "2026/11/03"),
                                       ("%Y%m%d", "20261103")])
def test_each_of_the_three_date_layouts_is_read_when_the_mapping_says_so(fmt, text):
    data = cmb_file(f"{text},09:00:00,100.00,100.00,汇入,甲,,,1")
    (line,) = parse_statement(data, mapping(date_format=fmt))
    assert (line.txn_date.isoformat(), line.amount_fen, line.balance_fen) == (
        "2026-11-03", 10_000, 10_000)


def test_a_date_in_another_layout_is_refused_naming_the_line():
    data = cmb_file("20261103,09:00:00,100.00,100.00,汇入,甲,,,1",
                    "2026-11-04,09:00:00,1.00,101.00,汇入,乙,,,2",
                    "2026/11/5,09:00:00,1.00,102.00,汇入,乙,,,3")
    assert problems(data) == ["Line 6: 2026-11-04 is not a date in the layout Ymd.",
                              "Line 7: 2026/11/5 is not a date in the layout Ymd."]


def test_a_balance_that_does_not_add_up_names_the_first_line_where_it_breaks():
    text = ICBC_CSV.read_bytes().decode("gbk").replace('"51,934.56"', '"51,944.56"')
    assert problems(text.encode("gbk"), mapping(ICBC)) == [
        "Line 8: the balance does not add up: 51834.56 plus 100.00 is 51934.56, but the file "
        "says 51944.56. Nothing was imported."]


def test_a_gbk_file_read_as_utf8_is_refused_naming_the_encoding():
    (message,) = problems(ICBC_CSV.read_bytes(), mapping(ICBC, encoding="utf-8"))
    assert message.startswith("The file is not UTF-8 text (byte ")
    assert message.endswith("Is it GBK? Choose a mapping with that encoding.")


def test_a_utf8_file_read_as_gbk_is_refused():
    assert problems(CMB_CSV.read_bytes(), mapping(encoding="gbk")) == [
        "The file is UTF-8 text, but the mapping says GBK. Choose a mapping with the UTF-8 "
        "encoding."]


def test_missing_columns_are_named():
    data = cmb_file("20261103,09:00:00,100.00,汇入,甲", header="交易日期,交易时间,交易金额,交易摘要,对方户名")
    assert problems(data) == [
        "The header on line 4 has no column 余额、对方账号、附言 (it has: 交易日期、交易时间、"
        "交易金额、交易摘要、对方户名). Is this the right mapping and encoding?"]


def test_an_excel_workbook_given_as_csv_is_refused():
    from openpyxl import Workbook

    out = io.BytesIO()
    book = Workbook()
    book.active.append(["交易日期", "交易金额", "余额"])
    book.save(out)
    assert problems(out.getvalue()) == [
        "This is an Excel workbook, not a CSV file. Open it in Excel and save it as CSV, then "
        "import that file."]


def test_a_file_without_transactions_is_refused():
    assert problems(cmb_file()) == ["The file has no transactions."]


def test_identical_lines_are_kept_apart_by_balance_and_occurrence(accounts):
    # +100, −100, +100 on one day with one reference: the first and last lines are identical,
    # balance included; both are real transfers.
    data = cmb_file("20261103,09:00:00,100.00,100.00,汇入,甲,,捐款,1",
                    "20261103,09:01:00,-100.00,0.00,退回,甲,,捐款,2",
                    "20261103,09:02:00,100.00,100.00,汇入,甲,,捐款,3")
    cmb = accounts["cmb"]
    first = import_statement(db.session, cmb, data, actor="system")
    assert (len(first.new_lines), first.alike_count) == (3, 2)
    again = import_statement(db.session, cmb, data, actor="system")
    assert (len(again.new_lines), again.known_count) == (0, 3)


def test_a_newest_first_export_is_read_in_date_order():
    lines = parse_statement(cmb_file("20261104,09:00:00,1.00,101.00,汇入,乙,,,2",
                                     "20261103,09:00:00,100.00,100.00,汇入,甲,,,1"), mapping())
    assert [(ln.txn_date.day, ln.balance_fen) for ln in lines] == [(3, 10_000), (4, 10_100)]


def test_a_refused_file_writes_nothing(accounts):
    text = ICBC_CSV.read_bytes().decode("gbk").replace('"55,807.56"', '"55,807.50"')
    with pytest.raises(StatementError, match="Line 11"):
        import_statement(db.session, accounts["icbc"], text.encode("gbk"), actor="system")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankLine)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankStatement)) == 0
