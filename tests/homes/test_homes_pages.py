"""The staff pages: thin views over the services, refusals shown with a 4xx, nothing written."""
import io
from datetime import date

import sqlalchemy as sa

from campaigns.homes import households, subfunds
from campaigns.homes.households import HouseholdInput
from campaigns.homes.models import Disbursement, Household, HouseholdImport, PurchaseOrder
from core.extensions import db
from tests.homes.homes_support import bad_check, csv_rows, fake_id


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def test_sub_fund_request_then_four_eyes_approval(client, login, funds, give, make_user):
    give("SF-HN", 500_000)
    liaison = login("finance", "liaison-finance@example.org")
    subfunds.add_liaison(db.session, liaison, "HN")
    db.session.commit()
    resp = client.post("/staff/homes/subfunds/SF-HN/disbursements?lang=en",
                       data={"amount": "12.345", "purpose": "packs"})
    assert resp.status_code == 400 and "at most two decimal places" in _text(resp)
    resp = client.post("/staff/homes/subfunds/SF-HN/disbursements?lang=en",
                       data={"amount": "2000", "purpose": "10 packs at ¥200 per household"})
    assert resp.status_code == 302
    d = db.session.scalar(sa.select(Disbursement))
    assert (d.amount_fen, d.status) == (200_000, "requested")
    resp = client.post(f"/staff/homes/disbursements/{d.id}/approve?lang=en")
    assert resp.status_code == 409 and "someone else in finance must decide" in _text(resp)
    client.post("/logout")
    login("finance", "other-finance@example.org")
    resp = client.post(f"/staff/homes/disbursements/{d.id}/approve?lang=en")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Disbursement, d.id).status == "approved"
    page = _text(client.get("/staff/homes/subfunds/SF-HN?lang=en"))
    assert 'data-balance="300000"' in page


def test_staff_without_finance_cannot_approve(client, login, funds):
    login("staff")
    assert client.post("/staff/homes/disbursements/1/approve").status_code == 403
    assert client.post("/staff/homes/orders/1/pay").status_code == 403


def test_the_sub_fund_page_says_how_much_is_missing(client, login, funds, give):
    give("SF-HN", 100_000)
    liaison = login("staff", "l@example.org")
    subfunds.add_liaison(db.session, liaison, "HN")
    db.session.commit()
    client.post("/staff/homes/subfunds/SF-HN/disbursements", data={"amount": "1500", "purpose": "x"})
    client.post("/logout")
    login("finance")
    d = db.session.scalar(sa.select(Disbursement))
    resp = client.post(f"/staff/homes/disbursements/{d.id}/approve?lang=en")
    assert resp.status_code == 409 and "SF-HN does not hold enough: this disbursement is 500.00 yuan short" in _text(resp)


def _upload(client, data: bytes):
    return client.post("/staff/homes/households/import?lang=en", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "list.csv")})


def test_household_import_preview_confirm_and_masking(client, login, funds):
    login("staff")
    text = csv_rows(("HN", "城南居委", "低保", "测试户001", fake_id(1), "13800000001", 3),
                    ("HN", "城南居委", "低保", "测试户002", bad_check(fake_id(2)), "", 2),
                    ("HN", "城南居委", "低保", "测试户003", fake_id(3), "", 0))
    resp = _upload(client, text.encode("gbk"))
    assert resp.status_code == 302
    preview = _text(client.get(resp.headers["Location"] + "?lang=en"))
    assert 'data-rows="3" data-bad="2"' in preview
    assert 'data-line="3"' in preview and 'data-error="bad_check"' in preview
    assert 'data-error="bad_members"' in preview and fake_id(1) not in preview
    upload = db.session.scalar(sa.select(HouseholdImport))
    resp = client.post(f"/staff/homes/households/import/{upload.id}/confirm?lang=en", data={"mode": "all"})
    assert resp.status_code == 409 and "2 rows have problems" in _text(resp)
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 0
    resp = client.post(f"/staff/homes/households/import/{upload.id}/confirm", data={"mode": "good"})
    assert resp.status_code == 302
    page = _text(client.get("/staff/homes/households?lang=en"))
    assert fake_id(1)[:6] + "********" + fake_id(1)[-4:] in page and fake_id(1) not in page


def test_a_file_in_the_wrong_encoding_is_refused(client, login, funds):
    login("staff")
    resp = _upload(client, csv_rows(("HN", "x", "低保", "户", fake_id(1), "", 1)).encode("utf-16"))
    assert resp.status_code == 400 and "neither UTF-8 nor GBK" in _text(resp)
    assert db.session.scalar(sa.select(sa.func.count(HouseholdImport.id))) == 0


def test_purchase_order_bad_lines_are_refused(client, login, linyi):
    login("staff")
    millet = linyi["millet"].id
    for lines, message in ((f"{millet}, 0, 30", "Line 1: A quantity is a whole number of at least 1"),
                           (f"{millet}, 10, 30.005", "Line 1: Use at most two decimal places"),
                           ("999, 10, 30", "Line 1: write goods number, quantity, unit price")):
        resp = client.post("/staff/homes/orders?lang=en",
                           data={"supplier_id": linyi["supplier"].id, "lines": lines})
        assert resp.status_code == 400 and message in _text(resp), lines
    assert db.session.scalar(sa.select(sa.func.count(PurchaseOrder.id))) == 0
    resp = client.post("/staff/homes/orders", data={"supplier_id": linyi["supplier"].id,
                                                    "lines": f"{millet}, 10, 30"})
    assert resp.status_code == 302
    order = db.session.scalar(sa.select(PurchaseOrder))
    assert order.total_fen == 30_000 and order.status == "draft"


def test_order_approve_receive_pay_over_http(client, login, linyi, give):
    drafter = login("staff", "drafter@example.org")
    from campaigns.homes import purchasing

    order = purchasing.create_order(db.session, linyi["supplier"], [(linyi["millet"], 10, 3_000)], drafter)
    db.session.commit()
    client.post("/logout")
    login("finance")
    assert client.post(f"/staff/homes/orders/{order.id}/approve").status_code == 302
    line = order.lines[0]
    resp = client.post(f"/staff/homes/orders/{order.id}/receive?lang=en",
                       data={"received_on": "2024-01-08", f"qty-{line.id}": "0"})
    assert resp.status_code == 409 and "whole number of at least 1" in _text(resp)
    resp = client.post(f"/staff/homes/orders/{order.id}/receive",
                       data={"received_on": "2024-01-08", f"qty-{line.id}": "10", f"lot-{line.id}": "L1"})
    assert resp.status_code == 302
    resp = client.post(f"/staff/homes/orders/{order.id}/pay?lang=en", data={"amount": "300.01", "paid_on": "2024-01-09"})
    assert resp.status_code == 409 and "Only 300.00 yuan" in _text(resp)
    client.post(f"/staff/homes/orders/{order.id}/pay", data={"amount": "300", "paid_on": "2024-01-09"})
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).status == "paid"


def test_a_second_delivery_to_a_served_household_is_refused(client, login, linyi, give, keys):
    from campaigns.demo import seed_campaigns
    from campaigns.homes import distribution

    seed_campaigns(db.session)
    h = households.register_household(db.session, keys, HouseholdInput(
        street="HN", committee="x", category="dibao", head_name="测试户001", id_number=fake_id(1),
        phone="", members="1"))
    db.session.commit()
    give("GOODS-LY", 100_000)
    login("staff")
    campaign_id = db.session.scalar(sa.text("SELECT id FROM campaigns WHERE slug = 'wanren-juan'"))
    resp = client.post(f"/staff/homes/campaigns/{campaign_id}/distribution",
                       data={"street": "惠南镇", "recipe_id": linyi["recipe"].id})
    assert resp.status_code == 302
    dist = distribution.distribution_list(db.session, campaign_id)[0]
    form = {"delivered_on": "2024-01-18", "delivered_by": "王社工", "note": ""}
    assert client.post(f"/staff/homes/distributions/{dist.id}/deliver", data=form).status_code == 302
    resp = client.post(f"/staff/homes/distributions/{dist.id}/deliver?lang=en", data=form)
    assert resp.status_code == 409 and "already delivered on 2024-01-18" in _text(resp)
    page = _text(client.get(f"/staff/homes/campaigns/{campaign_id}/distribution"))
    assert 'data-helped="1"' in page and h.id_masked in page and fake_id(1) not in page
    assert date(2024, 1, 18) == dist.delivered_on
