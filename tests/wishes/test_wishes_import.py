"""CSV import of wishes: per-row errors, all-or-nothing; and the scenario of a whole drive —
import 100 wishes, fund, buy and deliver 30 — where the board, the progress JSON, the fund
statement and the donors' receipts agree."""
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from campaigns.wishes import importing, services, state
from campaigns.wishes.models import Wish
from core.extensions import db
from donate.models import Donation
from ledger.reports import fund_statement
from tests.wishes import support

HEADER = "beneficiary,age_band,street,category,item,price,story\n"


def _csv(*rows, header=HEADER, encoding="utf-8"):
    return (header + "".join(r + "\n" for r in rows)).encode(encoding)


def test_a_clean_file_makes_drafts(drive):
    raw = _csv("小雨,10–12岁,HN,study,新书包,150,想要书包", "阿明,7–9岁,惠南镇,学习,文具,35.50,<b>hi</b>")
    made, rows = services.import_wishes(db.session, drive, importing.parse_wish_csv(raw), support.STAFF)
    assert made == 2 and all(not r["errors"] for r in rows)
    wishes = db.session.scalars(sa.select(Wish).order_by(Wish.id)).all()
    assert [(w.status, w.price_fen, w.street_code, w.category, w.story) for w in wishes] == [
        ("draft", 15_000, "HN", "study", "想要书包"), ("draft", 3_550, "HN", "study", "<b>hi</b>")]


def test_a_gbk_file_is_read(drive):
    raw = _csv("小雨,10–12岁,周浦镇,健康,护膝,60,", header="化名,年龄段,街镇,类别,物品,价格,故事\n", encoding="gb18030")
    made, _rows = services.import_wishes(db.session, drive, importing.parse_wish_csv(raw), support.STAFF)
    assert made == 1 and db.session.scalar(sa.select(Wish.category)) == "health"


def test_every_bad_row_is_reported_and_nothing_written(drive, english):
    raw = _csv("a,1岁,HN,study,x,0,", "b,1岁,HN,study,x,-3,", "c,1岁,HN,study,x,500.01,",
               "d,1岁,HN,study,x,1.234,", "e,1岁,HN,toys,x,10,", "f,1岁,ATLANTIS,study,x,10,",
               "g,1岁,HN,study,x,10,<script>ok</script>")
    made, rows = services.import_wishes(db.session, drive, importing.parse_wish_csv(raw), support.STAFF)
    assert made == 0
    assert [(r["line"], [str(e) for e in r["errors"]]) for r in rows] == [
        (2, ["The price must be more than zero."]), (3, ["The price must be more than zero."]),
        (4, ["This drive's wishes cost at most CN¥500.00."]),
        (5, ["Use at most two decimal places (fen)."]), (6, ["Unknown category."]),
        (7, ["Unknown street/town."]), (8, [])]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Wish)) == 0


@pytest.mark.parametrize("raw, message", [
    (b"\xff\xfe\x00\x00binary", "This file is neither UTF-8 nor GBK text."),
    (b"name,price\nx,1\n", "The header row must name these columns:"),
    (HEADER.encode(), "The file has no wishes in it."),
])
def test_an_unusable_file_is_refused(raw, message, english):
    with pytest.raises(state.WishError, match=message):
        importing.parse_wish_csv(raw)


def test_the_import_page_lists_row_errors(client, drive, login):
    login("staff")
    resp = client.post(f"/staff/wishes/drives/{drive.slug}/import?lang=en", data={
        "file": (io.BytesIO(_csv("a,1岁,HN,study,x,0,", "b,1岁,HN,study,x,10,")), "w.csv")},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "The price must be more than zero." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Wish)) == 0


def test_a_hundred_wishes_thirty_delivered_and_the_books_agree(client, drive, now):
    raw = _csv(*[f"孩子{n},10–12岁,HN,study,物品{n},{100 + n},story" for n in range(100)])
    assert services.import_wishes(db.session, drive, importing.parse_wish_csv(raw), support.STAFF)[0] == 100
    wishes = db.session.scalars(sa.select(Wish).order_by(Wish.id)).all()
    for wish in wishes:
        services.verify_wish(db.session, wish, support.STAFF)
        services.publish_wish(db.session, wish, support.STAFF)
    gifts, spent = [], 0
    for wish in wishes[:30]:
        gifts.append(support.pay_for(db.session, services.reserve_wish(db.session, wish, "d", now)))
        services.record_purchase(db.session, wish, wish.price_fen - 500, "超市", support.STAFF)
        spent += wish.price_fen - 500
        services.record_delivery(db.session, wish, "谢谢！", support.STAFF)
    db.session.commit()
    raised = sum(g.amount_fen for g in gifts)
    assert raised == sum(100 + n for n in range(30)) * 100
    body = client.get("/api/v1/campaigns/dongri-nuanyang").get_json()
    assert body["wishes"] == {"open": 70, "reserved": 0, "funded": 30, "delivered": 30}
    assert body["raised_fen"] == raised
    html = client.get("/c/dongri-nuanyang/wishes?lang=en").get_data(as_text=True)
    assert "70 open · 30 funded · 30 delivered" in html
    today = date.today()
    statement = fund_statement(db.session, drive.fund_code, today - timedelta(days=2), today + timedelta(days=2))
    assert (statement.inflow, statement.outflow, statement.closing) == (raised, spent, raised - spent)
    receipts = db.session.scalars(sa.select(Donation.receipt_number).where(Donation.status == "succeeded")).all()
    assert len(set(receipts)) == 30 and None not in receipts
    funded = {w.funded_donation_id for w in db.session.scalars(sa.select(Wish)) if w.funded_donation_id}
    assert funded == {g.id for g in gifts}
