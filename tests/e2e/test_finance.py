"""A finance officer at a desktop browser: records a company's bank transfer as an offline gift,
imports the CMB statement for November 2026, matches its ¥2,000.00 line to the gift's posting,
and downloads the statement of activities (业务活动表) as Excel (issue #11)."""
from decimal import Decimal
from pathlib import Path

import openpyxl
import sqlalchemy as sa

from core.extensions import db
from finance.bank_models import BankMatch
from tests.donate.giving_support import designation

#: The CMB preset's export (UTF-8 with BOM): ¥2,000.00 from a company on the 12th, interest
#: ¥12.34 on the 21st.
CMB_CSV = Path(__file__).resolve().parents[1] / "finance" / "fixtures" / "bank_cmb_2026-11.csv"
CMB_CODE = "100201"
COMPANY = "上海浦东爱心企业有限公司"


def cmb_account() -> int:
    from finance.bank_setup import CMB, create_bank_account, ensure_preset_mappings

    presets = ensure_preset_mappings(db.session)
    account = create_bank_account(db.session, name="募捐专户", bank="招商银行上海分行",
                                  last_digits="3579", ledger_account_code=CMB_CODE,
                                  mapping=presets[CMB])
    db.session.commit()
    return account.id


def record_offline_gift(page, live_server, designation_id: int) -> None:
    page.goto(f"{live_server}/finance/offline-gifts/")
    form = page.locator("form[action$='/finance/offline-gifts/']")
    form.locator("select[name=designation]").select_option(str(designation_id))
    form.locator("input[name=donor_name]").fill(COMPANY)
    form.locator("input[name=amount]").fill("2000")
    form.locator("select[name=channel]").select_option("bank_transfer")
    form.locator("select[name=bank_account]").select_option(CMB_CODE)
    form.locator("input[name=gift_date]").fill("2026-11-12")
    form.locator("input[name=collected_by]").fill("小王")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def import_and_match(page, live_server, account_id: int, shot) -> None:
    page.goto(f"{live_server}/finance/bank/accounts/{account_id}?month=2026-11")
    page.set_input_files("input[name=file]", str(CMB_CSV))
    with page.expect_navigation():
        page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.goto(f"{live_server}/finance/bank/accounts/{account_id}?month=2026-11")
    assert sorted(page.locator("tr[data-line]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.amount))")) == [1_234, 200_000]
    shot(page, "imported")
    page.check("tr[data-line][data-amount='200000'] input[name=lines]")
    page.check("tr[data-posting][data-amount='200000'] input[name=postings]")
    with page.expect_navigation():
        page.click("form:has(input[name=lines]) button[type=submit]")
    page.goto(f"{live_server}/finance/bank/accounts/{account_id}?month=2026-11")
    shot(page, "matched")


def test_finance_imports_matches_and_downloads_the_statement_of_activities(
        desktop, live_server, demo, login_as, shot, tmp_path):
    account_id = cmb_account()
    login_as(desktop, "finance")
    record_offline_gift(desktop, live_server, designation(demo["drive"], "SF-LJZ").id)
    shot(desktop, "offline-gift")
    import_and_match(desktop, live_server, account_id, shot)
    assert desktop.locator("tr[data-line]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.amount))") == [1_234]  # the interest is left
    assert desktop.locator("tr[data-posting]").count() == 0
    assert desktop.locator("tr[data-match]").count() == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankMatch)) == 1

    desktop.goto(f"{live_server}/finance/statements/activities")
    desktop.fill("form.filter input[name=start]", "2026-11-01")
    desktop.fill("form.filter input[name=end]", "2026-11-30")
    with desktop.expect_navigation():
        desktop.click("form.filter button[type=submit]")
    shot(desktop, "activities")
    with desktop.expect_download() as info:
        desktop.click("a[href*='format=xlsx']")
    download = info.value
    assert download.suggested_filename == "activities-2026-11-01-2026-11-30.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert income_row(path) == ("4101", Decimal("0"), Decimal("2000.00"), Decimal("2000.00"))


def income_row(path: Path) -> tuple:
    """The donation income row (4101) of the workbook: code, unrestricted, restricted, total."""
    sheet = openpyxl.load_workbook(path).active
    row = next(r for r in sheet.iter_rows(min_row=5) if r[0].value == "4101")
    assert row[3].number_format == "#,##0.00"
    # openpyxl reads numbers as int or float; str() gives the written digits back exactly.
    return (row[0].value, *(Decimal(str(c.value or 0)) for c in row[2:5]))
