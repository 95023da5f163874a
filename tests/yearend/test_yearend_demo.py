"""Done when (#12): a year's statement PDF for a demo donor has the right gifts and total.
李娜 gives ¥20 a month in the demo seed; her statement for this year, read back from the PDF,
lists every month of this year by its receipt number and adds them up."""
import io
import re

import sqlalchemy as sa
from pypdf import PdfReader

from core.extensions import db
from donate import yearend

from donate.models import Donation
from ledger.periods import books_date

DONOR = "li.na@example.org"


def test_a_demo_monthly_donors_statement_pdf_has_her_gifts_and_total(runner, client):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    year = books_date().year
    months = [g for g in db.session.scalars(sa.select(Donation).filter_by(email=DONOR))
              if books_date(g.succeeded_at).year == year]
    assert months and {g.amount_fen for g in months} == {2_000}  # ¥20 a month
    resp = client.get(f"/statements/{yearend.statement_token(DONOR, year)}/pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.data)).pages)
    receipts = re.findall(rf"\b{year}-\d{{6}}\b", text)  # not the dates (2026-01-01)
    assert sorted(receipts) == sorted(g.receipt_number for g in months)
    total = f"{len(months) * 20}.00"
    assert f"合计 Total (CNY): ¥{total} − 退款 refunds ¥0.00 = ¥{total}" in text
    assert "李娜" in text and "万人捐、帮万家" in text
