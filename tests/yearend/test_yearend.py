"""Year-end statements: one donor's gifts of a year (books' dates, Shanghai), refunds netted,
the PDF read back with pypdf, the signed link, and the batch that queues exactly one email per
donor through the outbox — from the CLI and from the finance page."""
import io
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from core.extensions import db
from donate import yearend
from donate.models import Donation, OutboxMessage
from donate.services import book_donation_succeeded, book_refund

ALICE = "alice@example.org"


def _gift(drive, amount_fen, when_utc, email=ALICE, fund="SF-LJZ", name="李雷", book=True):
    gift = Donation(campaign=drive, designation=drive.designation_for(fund), amount_fen=amount_fen,
                    currency="CNY", channel="bank_transfer", source_ref=f"ye:{email}:{when_utc.isoformat()}",
                    email=email, donor_name=name)
    db.session.add(gift)
    db.session.flush()
    if book:
        book_donation_succeeded(db.session, gift, when=when_utc)
    db.session.commit()
    return gift


@pytest.fixture
def gifts(drive):
    """Alice's 2025: ¥100 at 00:30 on 1 January in Shanghai (still 2024 in UTC), ¥300 to the
    goods fund refunded ¥25, ¥50 at 23:30 on 31 December; a ¥70 gift at 00:10 on 1 January 2026
    (2025 in UTC) belongs to 2026. Bob gave ¥20 in 2025; Carol's gift was never paid."""
    made = [
        _gift(drive, 10_000, datetime(2024, 12, 31, 16, 30), email=" Alice@Example.org "),
        _gift(drive, 30_000, datetime(2025, 6, 1, 4, 0), fund="GOODS-YN"),
        _gift(drive, 5_000, datetime(2025, 12, 31, 15, 30)),
        _gift(drive, 7_000, datetime(2025, 12, 31, 16, 10)),
        _gift(drive, 2_000, datetime(2025, 3, 3, 3, 0), email="bob@example.org", name="Bob"),
        _gift(drive, 9_000, datetime(2025, 3, 3, 3, 0), email="carol@example.org", book=False),
    ]
    book_refund(db.session, made[1], "re_yearend_1", 2_500, "staff@example.org")
    db.session.commit()
    return made


def test_a_year_lists_each_gift_and_the_total_net_of_refunds(gifts):
    found = yearend.build_year_statement(db.session, "ALICE@example.org", date(2025, 1, 1), date(2025, 12, 31))
    assert [(line.day, line.receipt_number, line.amount_fen, line.refunded_fen, line.net_fen) for line in found.lines] == [
        (date(2025, 1, 1), gifts[0].receipt_number, 10_000, 0, 10_000),
        (date(2025, 6, 1), gifts[1].receipt_number, 30_000, 2_500, 27_500),
        (date(2025, 12, 31), gifts[2].receipt_number, 5_000, 0, 5_000)]
    assert found.totals() == {"CNY": (45_000, 2_500, 42_500)}
    assert found.lines[1].designation_zh == "云南特产" and found.lines[0].campaign_zh == "万人捐、帮万家"
    later = yearend.build_year_statement(db.session, ALICE, date(2026, 1, 1), date(2026, 12, 31))
    assert [line.amount_fen for line in later.lines] == [7_000]


def test_any_range_may_be_asked_for(gifts):
    found = yearend.build_year_statement(db.session, ALICE, date(2025, 5, 1), date(2026, 1, 31))
    assert [line.amount_fen for line in found.lines] == [30_000, 5_000, 7_000]
    assert yearend.build_year_statement(db.session, "", date(2025, 1, 1), date(2025, 12, 31)).lines == []


def test_the_pdf_reads_back_with_its_gifts_and_total(gifts, client):
    token = yearend.statement_token(ALICE, 2025)
    resp = client.get(f"/statements/{token}/pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.data)).pages)
    for gift in gifts[:3]:
        assert gift.receipt_number in text
    assert gifts[3].receipt_number not in text
    assert "万人捐、帮万家" in text and "云南特产" in text
    assert "合计 Total (CNY): ¥450.00 − 退款 refunds ¥25.00 = ¥425.00" in text


def test_the_signed_page_shows_the_statement_and_refuses_a_tampered_link(gifts, client):
    token = yearend.statement_token(ALICE, 2025)
    html = client.get(f"/statements/{token}?lang=en").get_data(as_text=True)
    assert 'data-net="42500"' in html and html.count("<tr data-receipt=") == 3
    assert f"/statements/{token}/pdf" in html
    assert client.get(f"/statements/{token[:-2]}xx").status_code == 404
    assert client.get("/statements/not-a-token/pdf").status_code == 404
    assert yearend.read_statement_token(yearend.statement_token("bob@example.org", 2025)) == ("bob@example.org", 2025)


def _statement_mail():
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.dedup_key.like("yearend:%"))
                              .order_by(OutboxMessage.to_addr)).all()


def test_the_batch_queues_one_message_per_donor_once(gifts, runner):
    result = runner.invoke(args=["donors", "statements", "--year", "2025"])
    assert result.exit_code == 0, result.output
    assert "2/2 queued" in result.output
    mails = _statement_mail()
    assert [(m.to_addr, m.dedup_key) for m in mails] == [
        (ALICE, f"yearend:2025:{ALICE}"), ("bob@example.org", "yearend:2025:bob@example.org")]
    assert "¥425.00" in mails[0].body and "/statements/" in mails[0].body
    assert runner.invoke(args=["donors", "statements", "--year", "2025"]).exit_code == 0
    assert len(_statement_mail()) == 2
    assert runner.invoke(args=["donors", "statements", "--year", "1999"]).exit_code == 2


def test_a_long_address_gets_a_hashed_key():
    key = yearend.dedup_key(2025, "x" * 120 + "@example.org")
    assert key.startswith("yearend:2025:sha256:") and len(key) <= 100


def test_finance_sends_the_batch_from_its_page(gifts, client, login):
    login("staff")
    assert client.get("/finance/year-end-statements").status_code == 403
    client.post("/logout")
    login("finance", "finance2@example.org")
    page = client.get("/finance/year-end-statements?lang=en").get_data(as_text=True)
    assert 'data-donors="2"' in page
    bad = client.post("/finance/year-end-statements?lang=en", data={"year": "20x5"})
    assert bad.status_code == 400 and _statement_mail() == []
    resp = client.post("/finance/year-end-statements?lang=en", data={"year": "2025"}, follow_redirects=True)
    assert "2 statement(s) for 2025 are in the outbox." in resp.get_data(as_text=True)
    assert len(_statement_mail()) == 2
