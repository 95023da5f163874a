"""A closed month's statements never change: rendered before the close, then after late
activity (which the closed month refuses, so it lands in the next open month), the files are
byte for byte the same."""
import datetime as dt

import pytest

from core.extensions import db
from donate import services
from ledger import chart
from ledger.errors import ClosedPeriod
from ledger.models import JournalEntry
from ledger.periods import close_period
from tests.finance.statements_support import (GEN, HUINAN, book_gift, drive, post,  # noqa: F401
                                     post_october, reader)

RANGE = "start=2026-10-01&end=2026-10-31"
# Each names its language: ?lang= is remembered in a cookie for the next request.
DOWNLOADS = ("position?as_of=2026-10-31&format=csv&lang=zh",
             "position?as_of=2026-10-31&format=csv&lang=en",
             f"activities?{RANGE}&format=csv&lang=zh", f"funds?{RANGE}&format=csv&lang=en",
             f"donations?{RANGE}&format=csv&lang=zh", f"sponsors?{RANGE}&format=csv&lang=en",
             f"vouchers?{RANGE}&format=csv", f"vouchers?{RANGE}&format=csv&encoding=gbk",
             "gauge?format=csv&lang=en")


def _render(client) -> dict[str, bytes]:
    out = {}
    for path in DOWNLOADS:
        resp = client.get(f"/finance/statements/{path}")
        assert resp.status_code == 200, path
        out[path] = resp.get_data()
    return out


def test_closed_month_statements_are_unchanged_by_late_activity(drive, reader):
    post_october()
    db.session.commit()
    gift = book_gift(drive, "pi:oct", 10000, dt.datetime(2026, 10, 5, 2), donor="张三")
    client = reader("finance")
    before = _render(client)
    close_period(db.session, "2026-10", by="finance@example.org")
    db.session.commit()

    with pytest.raises(ClosedPeriod):  # the closed month itself refuses
        post("late-fee", dt.date(2026, 10, 30), (chart.ADMIN_EXPENSE, GEN, 100),
             (chart.BANK, GEN, -100))
    db.session.rollback()
    # A gift paid on 31 October but reported after the close lands in the next open month.
    late = book_gift(drive, "pi:late", 8800, dt.datetime(2026, 10, 31, 3), donor="王芳")
    assert db.session.get(JournalEntry, late.entry_id).entry_date == dt.date(2026, 11, 1)
    services.book_refund(db.session, gift, "re_late", 2000, by="finance@example.org")
    post("bank-fee", dt.date(2026, 11, 2), (chart.ADMIN_EXPENSE, GEN, 100), (chart.BANK, GEN, -100))
    post("disb-nov", dt.date(2026, 11, 2), (chart.PROGRAM_EXPENSE, HUINAN, 1000),
         (chart.BANK, HUINAN, -1000))
    db.session.commit()

    after = _render(client)
    for path in DOWNLOADS[:-1]:  # the gauge covers the open year, so it moves, as it should
        assert after[path] == before[path], path
    assert after[DOWNLOADS[-1]] != before[DOWNLOADS[-1]]
    # And the late activity is in the books, in the next open month.
    nov = client.get("/finance/statements/donations?start=2026-11-01&end=2026-11-30"
                     "&format=csv&lang=en").get_data().decode("utf-8-sig")
    assert "王芳" in nov and "88.00" in nov
