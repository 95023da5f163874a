"""The Excel writer: exact numbers with a yuan format, formulas never, a valid sheet title."""
import io
import re
import zipfile

import openpyxl

from finance.statements_tables import TOTAL, Column, Table
from finance.xlsx import workbook_bytes


def _table(currency="CNY"):
    table = Table("t", "Gifts: [October]/2026", "From 2026-10-01 to 2026-10-31",
                  [Column("Donor"), Column("Amount", money=True)], currency=currency)
    table.add("1", "=HYPERLINK(\"http://evil.example\",\"click\")", 123450)
    table.add("2", "王芳", None)
    table.add("total", "Total", 123450, kind=TOTAL)
    return table


def test_money_is_exact_numeric_text_with_the_yuan_format(app):
    body = workbook_bytes(_table())
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    numbers = re.findall(r'<c r="B(?:5|7)"[^>]*t="n"[^>]*><v>([^<]*)</v>', xml)
    assert numbers == ["1234.50", "1234.50"]
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet["B5"].number_format == "#,##0.00" and sheet["B6"].value is None
    assert sheet["A7"].font.b and not sheet["A5"].font.b
    assert sheet.title == "Gifts   October  2026"  # Excel forbids : [ ] / in titles
    assert [c.value for c in sheet[4]] == ["Donor", "Amount"]


def test_text_that_looks_like_a_formula_stays_text(app):
    sheet = openpyxl.load_workbook(io.BytesIO(workbook_bytes(_table()))).active
    assert sheet["A5"].data_type == "s"
    assert sheet["A5"].value.startswith("=HYPERLINK")
    xml = zipfile.ZipFile(io.BytesIO(workbook_bytes(_table()))).read(
        "xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


def test_a_currency_without_minor_units_has_no_decimals(app):
    sheet = openpyxl.load_workbook(io.BytesIO(workbook_bytes(_table("JPY")))).active
    assert sheet["B5"].number_format == "#,##0"
