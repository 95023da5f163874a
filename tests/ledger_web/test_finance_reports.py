"""The finance pages show the books exactly: a ¥100.00 gift to the Huinan sub-fund with a
¥3.40 processor fee, on screen (English and Chinese) and in the CSV downloads."""
from finance_html import cell, csv_rows, row, text


def test_index_links_every_finance_page(books, finance):
    html = finance.get("/finance/?lang=en").get_data(as_text=True)
    for path in ("/finance/trial-balance", "/finance/accounts", "/finance/funds",
                 "/finance/entries", "/finance/periods"):
        assert f'href="{path}"' in html
    assert 'href="/finance/"' in html  # the navigation shows "Finance"


def test_trial_balance_now_shows_each_account_and_equal_totals(books, finance):
    html = finance.get("/finance/trial-balance?lang=en").get_data(as_text=True)
    assert row(html, "code", "100901") == "100901 Payment processor clearing CN¥96.60"
    assert row(html, "code", "4101") == "4101 Donation income CN¥100.00"
    assert row(html, "code", "5301") == "5301 Fundraising expenses CN¥3.40"
    assert 'data-code="1002"' not in html  # untouched accounts are left out
    assert cell(html, "data-total-debit") == "CN¥100.00"
    assert cell(html, "data-total-credit") == "CN¥100.00"


def test_trial_balance_in_chinese_uses_chinese_names_and_yuan_sign(books, finance):
    html = finance.get("/finance/trial-balance?lang=zh").get_data(as_text=True)
    assert row(html, "code", "4101") == "4101 捐赠收入 ¥100.00"
    assert cell(html, "data-total-debit") == "¥100.00"


def test_trial_balance_as_of_a_date_before_the_gift_is_empty(books, finance):
    html = finance.get("/finance/trial-balance?lang=en&as_of=2026-10-04").get_data(as_text=True)
    assert "Nothing has been posted yet." in html
    assert cell(html, "data-total-debit") == "CN¥0.00"
    html = finance.get("/finance/trial-balance?lang=en&as_of=2026-10-05").get_data(as_text=True)
    assert cell(html, "data-total-credit") == "CN¥100.00"


def test_trial_balance_csv_has_exact_plain_amounts_and_totals(books, finance):
    rows = csv_rows(finance.get("/finance/trial-balance?lang=en&format=csv&as_of=2026-10-31"))
    assert rows == [
        ["Code", "Chinese name", "English name", "Debit", "Credit"],
        ["100901", "其他货币资金—支付机构存款", "Payment processor clearing", "96.60", ""],
        ["4101", "捐赠收入", "Donation income", "", "100.00"],
        ["5301", "筹资费用", "Fundraising expenses", "3.40", ""],
        ["", "Total", "", "100.00", "100.00"],
    ]


def test_a_malformed_as_of_date_is_a_form_error_not_a_crash(books, finance):
    for bad in ("2026-13-01", "2026-02-30", "31/10/2026", "2026-1-5", "yesterday"):
        resp = finance.get(f"/finance/trial-balance?lang=en&as_of={bad}")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 400, bad
        assert "Enter a date as YYYY-MM-DD, for example 2026-10-31." in html
        assert 'data-total-debit' not in html


def test_chart_of_accounts_lists_codes_types_and_both_names(books, finance):
    html = finance.get("/finance/accounts?lang=en").get_data(as_text=True)
    assert row(html, "code", "100901") == \
        "100901 Asset 其他货币资金—支付机构存款 Payment processor clearing Postings"
    assert row(html, "code", "5301") == "5301 Expense 筹资费用 Fundraising expenses Postings"
    rows = csv_rows(finance.get("/finance/accounts?format=csv&lang=en"))
    assert ["4101", "revenue", "捐赠收入", "Donation income", "1"] in rows
    assert len(rows) == 1 + 15


def test_funds_show_net_assets_restriction_kind_and_parent(books, finance):
    html = finance.get("/finance/funds?lang=en").get_data(as_text=True)
    assert row(html, "fund", "SUB-HUINAN") == (
        "SUB-HUINAN Huinan community sub-fund Restricted Community sub-fund GEN CN¥96.60 Statement")
    assert row(html, "fund", "GEN") == "GEN General fund Unrestricted General — CN¥0.00 Statement"
    rows = csv_rows(finance.get("/finance/funds?format=csv&lang=en"))
    assert ["SUB-HUINAN", "惠南镇社区慈善专项基金", "Huinan community sub-fund", "restricted",
            "subfund", "GEN", "96.60"] in rows


def test_general_ledger_of_the_clearing_account_runs_its_balance(books, finance):
    html = finance.get("/finance/accounts/100901/ledger?lang=en").get_data(as_text=True)
    lines = text(html)
    assert "2026-10-05 1 online gift pi_huinan_1 SUB-HUINAN CN¥100.00 CN¥100.00" in lines
    assert "2026-10-05 1 online gift pi_huinan_1 SUB-HUINAN CN¥3.40 CN¥96.60" in lines
    assert cell(html, "data-closing") == "CN¥96.60"
    rows = csv_rows(finance.get("/finance/accounts/100901/ledger?format=csv&lang=en"))
    assert rows[1:] == [["", "", "Opening balance", "", "", "", "0.00"],
                        ["1", "2026-10-05", "online gift pi_huinan_1", "SUB-HUINAN", "100.00", "0.00", "100.00"],
                        ["1", "2026-10-05", "online gift pi_huinan_1", "SUB-HUINAN", "0.00", "3.40", "96.60"]]


def test_general_ledger_opening_balance_comes_from_before_the_range(books, finance):
    html = finance.get("/finance/accounts/100901/ledger?lang=en&start=2026-11-01").get_data(as_text=True)
    assert cell(html, "data-opening") == "CN¥96.60"
    assert 'data-entry="1"' not in html


def test_general_ledger_of_an_unknown_account_is_404(books, finance):
    assert finance.get("/finance/accounts/9999/ledger").status_code == 404


def test_fund_statement_shows_opening_in_out_and_closing(books, finance):
    url = "/finance/funds/SUB-HUINAN/statement?lang=en&start=2026-10-01&end=2026-10-31"
    html = finance.get(url).get_data(as_text=True)
    assert cell(html, "data-opening") == "CN¥0.00"
    assert row(html, "code", "4101") == "4101 Donation income CN¥0.00 CN¥100.00"
    assert row(html, "code", "5301") == "5301 Fundraising expenses CN¥3.40 CN¥0.00"
    assert cell(html, "data-inflow") == "CN¥100.00"
    assert cell(html, "data-outflow") == "CN¥3.40"
    assert cell(html, "data-closing") == "CN¥96.60"
    rows = csv_rows(finance.get(url + "&format=csv"))
    assert rows[1] == ["Opening net assets", "", "", "", "0.00"]
    assert rows[-1] == ["Closing net assets", "", "", "", "96.60"]


def test_fund_statement_with_end_before_start_is_a_form_error(books, finance):
    resp = finance.get("/finance/funds/SUB-HUINAN/statement?lang=en&start=2026-10-31&end=2026-10-01")
    assert resp.status_code == 400
    assert "The end date must not be before the start date." in resp.get_data(as_text=True)
    assert finance.get("/finance/funds/NO-SUCH/statement").status_code == 404


def test_entry_detail_shows_postings_and_hash(books, finance):
    from core.extensions import db
    from ledger.models import JournalEntry

    html = finance.get(f"/finance/entries/{books}?lang=en").get_data(as_text=True)
    assert cell(html, "data-hash") == db.session.get(JournalEntry, books).hash
    assert row(html, "fund", "SUB-HUINAN").startswith("100901 Payment processor clearing SUB-HUINAN")
    assert "CN¥100.00" in html and "CN¥3.40" in html
    rows = csv_rows(finance.get(f"/finance/entries/{books}?format=csv"))
    assert rows[1:] == [["100901", "SUB-HUINAN", "CNY", "100.00", "0.00"],
                        ["4101", "SUB-HUINAN", "CNY", "0.00", "100.00"],
                        ["5301", "SUB-HUINAN", "CNY", "3.40", "0.00"],
                        ["100901", "SUB-HUINAN", "CNY", "0.00", "3.40"]]
    assert finance.get("/finance/entries/424242").status_code == 404


def test_entries_list_links_each_entry(books, finance):
    html = finance.get("/finance/entries?lang=en").get_data(as_text=True)
    assert row(html, "entry", str(books)) == "1 2026-10-05 online gift pi_huinan_1 stripe"
