"""The statement pages, their CSV and their Excel files show the October books exactly, and
the Excel totals equal the page's."""
from decimal import Decimal

from tests.finance.statements_support import csv_of, line, october, reader, xlsx_of  # noqa: F401

POSITION = "/finance/statements/position?lang=en&as_of=2026-10-31"
ACTIVITIES = "/finance/statements/activities?lang=en&start=2026-10-01&end=2026-10-31"
FUNDS = "/finance/statements/funds?lang=en&start=2026-10-01&end=2026-10-31"


def test_statement_of_financial_position_page(october, reader):
    html = reader("finance").get(POSITION).get_data(as_text=True)
    assert line(html, "1002") == "1002 Bank deposits CN¥81.60"
    assert line(html, "100901") == "100901 Payment processor clearing CN¥30.00"
    assert line(html, "1201") == "1201 Inventory of goods CN¥5.00"
    assert line(html, "total-assets") == "Total assets CN¥116.60"
    assert line(html, "2202") == "2202 Payable to suppliers CN¥20.00"
    assert line(html, "unrestricted") == "Unrestricted net assets CN¥45.00"
    assert line(html, "restricted") == "Restricted net assets CN¥51.60"
    assert line(html, "total") == "Total liabilities and net assets CN¥116.60"
    assert "Assets equal liabilities plus net assets." in html


def test_statement_of_financial_position_csv_and_excel(october, reader):
    client = reader("finance")
    rows = csv_of(client.get(POSITION + "&format=csv"))
    assert rows == [
        ["Code", "Item", "Amount"],
        ["", "Assets", ""],
        ["1002", "Bank deposits", "81.60"],
        ["100901", "Payment processor clearing", "30.00"],
        ["1201", "Inventory of goods", "5.00"],
        ["", "Total assets", "116.60"],
        ["", "Liabilities", ""],
        ["2202", "Payable to suppliers", "20.00"],
        ["", "Total liabilities", "20.00"],
        ["", "Net assets", ""],
        ["", "Unrestricted net assets", "45.00"],
        ["", "Restricted net assets", "51.60"],
        ["", "Total net assets", "96.60"],
        ["", "Total liabilities and net assets", "116.60"],
    ]
    sheet, cells = xlsx_of(client.get(POSITION + "&format=xlsx"))
    assert cells[0][0] == "Statement of financial position" and cells[1][0] == "As at 2026-10-31"
    assert cells[3] == ["Code", "Item", "Amount"]
    by_item = {r[1]: r[2] for r in cells[4:]}
    assert by_item["Total assets"] == Decimal("116.60")
    assert by_item["Total liabilities and net assets"] == Decimal("116.60")
    assert by_item["Restricted net assets"] == Decimal("51.60")
    assert sheet["C5"].value is None and sheet["C6"].number_format == "#,##0.00"
    assert sheet["C6"].data_type == "n"  # a number in the file, not text
    assert all(not isinstance(r[2], str) for r in cells[4:])  # numbers, never formulas or text


def test_statement_of_activities_page_csv_and_excel_agree(october, reader):
    client = reader("finance")
    html = client.get(ACTIVITIES).get_data(as_text=True)
    assert line(html, "4101") == "4101 Donation income CN¥50.00 CN¥130.00 CN¥180.00"
    assert line(html, "release") == \
        "Net assets released from restriction CN¥78.40 -CN¥78.40 CN¥0.00"
    assert line(html, "5101") == "5101 Program expenses CN¥75.00 CN¥0.00 CN¥75.00"
    assert line(html, "5201") == "5201 Administrative expenses CN¥5.00 CN¥0.00 CN¥5.00"
    assert line(html, "5301") == "5301 Fundraising expenses CN¥3.40 CN¥0.00 CN¥3.40"
    assert line(html, "total-expenses") == "Total expenses CN¥83.40 CN¥0.00 CN¥83.40"
    assert line(html, "change") == "Change in net assets CN¥45.00 CN¥51.60 CN¥96.60"
    assert line(html, "closing") == "Net assets at the end CN¥45.00 CN¥51.60 CN¥96.60"
    assert csv_of(client.get(ACTIVITIES + "&format=csv")) == [
        ["Code", "Item", "Unrestricted", "Restricted", "Total"],
        ["", "Income", "", "", ""],
        ["4101", "Donation income", "50.00", "130.00", "180.00"],
        ["", "Total income", "50.00", "130.00", "180.00"],
        ["", "Expenses", "", "", ""],
        ["5101", "Program expenses", "75.00", "0.00", "75.00"],
        ["5201", "Administrative expenses", "5.00", "0.00", "5.00"],
        ["5301", "Fundraising expenses", "3.40", "0.00", "3.40"],
        ["", "Total expenses", "83.40", "0.00", "83.40"],
        ["", "Net assets released from restriction", "78.40", "-78.40", "0.00"],
        ["", "Change in net assets", "45.00", "51.60", "96.60"],
        ["", "Net assets at the start", "0.00", "0.00", "0.00"],
        ["", "Net assets at the end", "45.00", "51.60", "96.60"],
    ]
    _sheet, cells = xlsx_of(client.get(ACTIVITIES + "&format=xlsx"))
    by_item = {r[1]: r[2:] for r in cells[4:]}
    assert by_item["Total income"] == [Decimal("50.00"), Decimal("130.00"), Decimal("180.00")]
    assert by_item["Total expenses"] == [Decimal("83.40"), Decimal("0.00"), Decimal("83.40")]
    assert by_item["Change in net assets"] == [Decimal("45.00"), Decimal("51.60"), Decimal("96.60")]


def test_fund_balances_page_csv_and_excel(october, reader):
    client = reader("auditor")  # auditors read every statement
    html = client.get(FUNDS).get_data(as_text=True)
    assert line(html, "SUB-HUINAN") == \
        "SUB-HUINAN Huinan community sub-fund Restricted CN¥0.00 CN¥100.00 CN¥63.40 CN¥36.60"
    assert line(html, "GEN") == "GEN General fund Unrestricted CN¥0.00 CN¥50.00 CN¥5.00 CN¥45.00"
    assert line(html, "total") == "Total CN¥0.00 CN¥180.00 CN¥83.40 CN¥96.60"
    rows = csv_of(client.get(FUNDS + "&format=csv"))
    assert rows[-1] == ["", "Total", "", "0.00", "180.00", "83.40", "96.60"]
    _sheet, cells = xlsx_of(client.get(FUNDS + "&format=xlsx"))
    assert cells[-1][3:] == [Decimal("0.00"), Decimal("180.00"), Decimal("83.40"), Decimal("96.60")]
    assert len(cells) == 4 + 3 + 1


def test_chinese_pages_use_the_chinese_account_names_and_yuan_sign(october, reader):
    html = reader("finance").get(POSITION.replace("lang=en", "lang=zh")).get_data(as_text=True)
    assert line(html, "1002") == "1002 银行存款 ¥81.60"


def test_bad_dates_and_formats_are_refused_with_a_message(october, reader):
    client = reader("finance")
    for path in ("/finance/statements/position?lang=en&as_of=2026-02-30",
                 "/finance/statements/activities?lang=en&start=31/10/2026",
                 "/finance/statements/funds?lang=en&start=2026-10-31&end=2026-10-01",
                 "/finance/statements/donations?lang=en&end=yesterday",
                 "/finance/statements/sponsors?lang=en&start=2026-13-01",
                 "/finance/statements/vouchers?lang=en&start=2026-1-1",
                 "/finance/statements/activities?lang=en&start=2999-01-01"):
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 400, path
        assert ("Enter a date as YYYY-MM-DD, for example 2026-10-31." in html
                or "The end date must not be before the start date." in html), path
        assert "data-line" not in html and "data-voucher" not in html
    resp = client.get(POSITION + "&format=pdf")
    assert resp.status_code == 400
    assert "Unknown format pdf: use csv or xlsx" in resp.get_data(as_text=True)


def test_only_finance_and_auditors_may_read_the_statements(october, reader):
    for role, code in (("staff", 403), ("admin", 403), ("auditor", 200), ("finance", 200)):
        client = reader(role)
        for page in ("position", "activities", "funds", "donations", "sponsors", "vouchers",
                     "gauge"):
            assert client.get(f"/finance/statements/{page}").status_code == code, (role, page)


def test_the_finance_home_links_every_statement(october, reader):
    html = reader("auditor").get("/finance/?lang=en").get_data(as_text=True)
    for page in ("position", "activities", "funds", "donations", "sponsors", "gauge", "vouchers"):
        assert f'href="/finance/statements/{page}"' in html, page
    html = reader("admin").get("/finance/?lang=en").get_data(as_text=True)
    assert "/finance/statements/" not in html
