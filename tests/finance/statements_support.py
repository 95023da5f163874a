"""Books for the statement tests (no tests here; the statement test modules import these).

October 2026, three funds — the general fund (unrestricted), the Huinan sub-fund and the
paired-region goods fund (both restricted):

==========  =====================================================  ==========
2026-10-05  online gift ¥100.00 to Huinan, ¥3.40 fee               Huinan
2026-10-06  gift ¥50.00 to the general fund, no fee                GEN
2026-10-07  gift ¥30.00 to the goods fund                          GOODS
2026-10-08  payout: clearing → bank, ¥96.60 Huinan, ¥50.00 GEN     both
2026-10-09  goods received ¥20.00 (inventory / payable)            GOODS
2026-10-10  sub-fund disbursement ¥60.00 (program / bank)          Huinan
2026-10-11  gift packs delivered ¥15.00 (program / inventory)      GOODS
2026-10-12  office costs ¥5.00 (administrative / bank)             GEN
==========  =====================================================  ==========
"""
import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from core.extensions import db
from ledger import chart
from ledger.posting import EntryDraft, Line, ensure_fund, post_entry

HUINAN, GOODS, GEN = "SUB-HUINAN", "GOODS-YN", chart.GENERAL_FUND
OCT_1, OCT_31 = dt.date(2026, 10, 1), dt.date(2026, 10, 31)


def post(key: str, day: dt.date, *lines, memo: str = ""):
    """Post ``(account, fund, amount)`` triples as one entry; flushes."""
    return post_entry(db.session, EntryDraft(
        date=day, memo=memo or key, idempotency_key=key, source="test",
        lines=tuple(Line(a, f, m) for a, f, m in lines)))


def gift(key: str, day: dt.date, fund: str, gross: int, fee: int = 0):
    lines = [(chart.PROCESSOR_CLEARING, fund, gross), (chart.DONATION_INCOME, fund, -gross)]
    if fee:
        lines += [(chart.FUNDRAISING_EXPENSE, fund, fee), (chart.PROCESSOR_CLEARING, fund, -fee)]
    return post(key, day, *lines, memo=f"Gift {key}")


def open_books():
    chart.seed_chart(db.session)
    ensure_fund(db.session, HUINAN, name_zh="惠南镇社区慈善专项基金",
                name_en="Huinan community sub-fund", kind="subfund", parent_code=GEN)
    ensure_fund(db.session, GOODS, name_zh="对口援建地区年货基金", name_en="Paired-region goods",
                kind="goods")


def post_october():
    d = dt.date
    gift("pi_huinan", d(2026, 10, 5), HUINAN, 10000, 340)
    gift("pi_general", d(2026, 10, 6), GEN, 5000)
    gift("pi_goods", d(2026, 10, 7), GOODS, 3000)
    post("payout-1", d(2026, 10, 8), (chart.BANK, HUINAN, 9660),
         (chart.PROCESSOR_CLEARING, HUINAN, -9660), (chart.BANK, GEN, 5000),
         (chart.PROCESSOR_CLEARING, GEN, -5000), memo="Stripe payout po_1")
    post("receipt-1", d(2026, 10, 9), (chart.INVENTORY, GOODS, 2000),
         (chart.SUPPLIER_PAYABLE, GOODS, -2000), memo="Millet received")
    post("disb-1", d(2026, 10, 10), (chart.PROGRAM_EXPENSE, HUINAN, 6000),
         (chart.BANK, HUINAN, -6000), memo="Huinan disbursement")
    post("delivery-1", d(2026, 10, 11), (chart.PROGRAM_EXPENSE, GOODS, 1500),
         (chart.INVENTORY, GOODS, -1500), memo="Gift packs delivered")
    post("office-1", d(2026, 10, 12), (chart.ADMIN_EXPENSE, GEN, 500),
         (chart.BANK, GEN, -500), memo="Office costs")


@pytest.fixture
def october(app):
    """The October books above, committed."""
    open_books()
    post_october()
    db.session.commit()


# -- reading pages and downloads --------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")


def line(html: str, key: str) -> str:
    """The text of the statement row ``data-line="key"``, tags stripped."""
    found = re.search(rf'<tr[^>]*data-line="{re.escape(key)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"no statement line {key!r}"
    return " ".join(_TAG.sub(" ", found.group(1)).split())


def csv_of(resp) -> list[list[str]]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = resp.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _literal_numbers(body: bytes) -> dict[str, Decimal]:
    """``{"C6": Decimal("116.6")}``: numeric cells as written in the sheet's XML.

    openpyxl reads numbers back as floats; the file itself holds exact decimal text, so the
    tests compare that text as Decimals and no float enters a comparison.
    """
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    return {ref: Decimal(value) for ref, value in
            re.findall(r'<c r="([A-Z]+[0-9]+)"[^>]*t="n"[^>]*><v>([^<]*)</v>', xml)}


def xlsx_of(resp):
    """The first sheet of an .xlsx download (it must open with openpyxl), as rows of values:
    text as text, numbers as exact Decimals."""
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(resp.get_data())).active
    numbers = _literal_numbers(resp.get_data())
    rows = [[numbers.get(c.coordinate, c.value) for c in r] for r in sheet.iter_rows()]
    return sheet, rows


@pytest.fixture
def reader(client, login):
    """``reader(role)``: the test client, logged in as a new user holding ``role``."""
    current = {}

    def as_role(role):
        if current.get("role") != role:
            login(role, f"{role}-reader@example.org")
            current["role"] = role
        return client
    return as_role


# -- gifts, through the real booking service ---------------------------------------------------

@pytest.fixture
def drive(app):
    """The October funds and the live drive "wanjia" offering the Huinan sub-fund."""
    from tests.conftest import campaign_in_status

    open_books()
    db.session.commit()
    return campaign_in_status("live", slug="wanjia", title_zh="万人捐、帮万家",
                              title_en="10,000 donors help 10,000 homes",
                              designation_funds=(HUINAN,))


def book_gift(campaign, ref: str, gross: int, when: dt.datetime, *, fund: str = HUINAN,
              channel: str = "online", donor: str = "", anonymous: bool = False):
    """A gift booked as the payment flow books it (``when`` naive UTC); committed."""
    from donate import services
    from donate.models import Donation

    designation = next(d for d in campaign.designations if d.fund_code == fund)
    donation = Donation(campaign=campaign, designation=designation, amount_fen=gross,
                        source_ref=ref, channel=channel, donor_name=donor, anonymous=anonymous)
    db.session.add(donation)
    db.session.flush()
    services.book_donation_succeeded(db.session, donation, when=when)
    db.session.commit()
    return donation
