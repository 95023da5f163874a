"""The voucher CSV for 用友/金蝶 imports: one row per posting, vouchers numbered per month in
posting order, UTF-8 with a BOM or GBK."""
import csv
import datetime as dt
import io

from core.extensions import db
from finance.vouchers import HEADERS, voucher_rows
from ledger import chart
from tests.finance.statements_support import (GEN, HUINAN, OCT_1, OCT_31, october, post,  # noqa: F401
                                     reader)

OCTOBER = "/finance/statements/vouchers?lang=en&start=2026-10-01&end=2026-10-31"


def _rows(body: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(encoding))))


def test_one_row_per_posting_and_one_voucher_per_entry(october, reader):
    resp = reader("finance").get(OCTOBER + "&format=csv")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.get_data().startswith(b"\xef\xbb\xbf")
    rows = _rows(resp.get_data(), "utf-8-sig")
    assert rows[0] == ["日期", "凭证字", "凭证号", "摘要", "科目代码", "科目名称", "借方金额",
                       "贷方金额", "辅助核算-基金"]
    assert rows[1:5] == [
        ["2026-10-05", "记", "1", "Gift pi_huinan", "100901", "其他货币资金—支付机构存款",
         "100.00", "", HUINAN],
        ["2026-10-05", "记", "1", "Gift pi_huinan", "4101", "捐赠收入", "", "100.00", HUINAN],
        ["2026-10-05", "记", "1", "Gift pi_huinan", "5301", "筹资费用", "3.40", "", HUINAN],
        ["2026-10-05", "记", "1", "Gift pi_huinan", "100901", "其他货币资金—支付机构存款",
         "", "3.40", HUINAN],
    ]
    assert rows[-1] == ["2026-10-12", "记", "8", "Office costs", "1002", "银行存款", "", "5.00", GEN]
    assert len(rows) == 1 + 20
    assert [r[2] for r in rows[1:]].count("4") == 4  # the payout: four lines, one voucher
    debit = sum(int(r[6].replace(".", "")) for r in rows[1:] if r[6])
    credit = sum(int(r[7].replace(".", "")) for r in rows[1:] if r[7])
    assert debit == credit == 10000 + 5000 + 3000 + 340 + 9660 + 5000 + 2000 + 6000 + 1500 + 500


def test_numbers_restart_each_month_and_never_move(october):
    post("nov-1", dt.date(2026, 11, 2), (chart.ADMIN_EXPENSE, GEN, 100), (chart.BANK, GEN, -100))
    # Dated in October but posted after the rest: it takes the next October number, so the
    # numbers already given (and imported) stay as they were.
    post("late-oct", dt.date(2026, 10, 3), (chart.ADMIN_EXPENSE, GEN, 200),
         (chart.BANK, GEN, -200), memo="Late\nreceipt")
    db.session.commit()
    rows = voucher_rows(db.session, OCT_1, dt.date(2026, 11, 30))
    numbers = [(r.day.isoformat(), r.number) for r in rows if r.account_code == "5201"]
    assert numbers == [("2026-10-12", 8), ("2026-10-03", 9), ("2026-11-02", 1)]
    assert [r.summary for r in rows if r.number == 9][0] == "Late receipt"
    # A range that starts mid-month keeps the month's numbering.
    later = voucher_rows(db.session, dt.date(2026, 10, 10), OCT_31)
    assert sorted({r.number for r in later}) == [6, 7, 8]


def test_gbk_download_and_a_character_gbk_cannot_hold(october, reader):
    client = reader("finance")
    resp = client.get(OCTOBER + "&format=csv&encoding=gbk")
    assert resp.headers["Content-Type"] == "text/csv; charset=gbk"
    rows = _rows(resp.get_data(), "gbk")
    assert tuple(rows[0]) == HEADERS and rows[2][5] == "捐赠收入"
    post("emoji", dt.date(2026, 10, 20), (chart.ADMIN_EXPENSE, GEN, 100), (chart.BANK, GEN, -100),
         memo="Tea for volunteers 🍵")
    db.session.commit()
    resp = client.get(OCTOBER + "&format=csv&encoding=gbk")
    assert resp.status_code == 400
    assert "GBK cannot hold the character “🍵” (entry 9)" in resp.get_data(as_text=True)
    assert client.get(OCTOBER + "&format=csv").status_code == 200  # UTF-8 holds it
    resp = client.get(OCTOBER + "&format=csv&encoding=latin-1")
    assert resp.status_code == 400 and "Not a valid choice" in resp.get_data(as_text=True)


def test_the_page_previews_the_vouchers(october, reader):
    html = reader("auditor").get(OCTOBER).get_data(as_text=True)
    assert html.count('data-voucher="2026-10-4"') == 4
    assert "Download CSV (GBK)" in html
