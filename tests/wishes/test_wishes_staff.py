"""Staff pages: create, verify, publish; record purchase (booked as program expense from the
drive's fund) and delivery; close, and the donor hears of it."""
import io

import sqlalchemy as sa

from campaigns.wishes import photos, services
from campaigns.wishes.models import Wish
from core.extensions import db
from donate import receipts
from donate.models import OutboxMessage
from ledger import chart
from ledger.balances import account_balance, fund_net_assets
from tests.wishes import support

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _funded(make_wish, now, price="150"):
    wish = make_wish(price=price)
    gift = support.pay_for(db.session, services.reserve_wish(db.session, wish, "donor-a", now))
    db.session.commit()
    return wish.id, gift


def test_wish_pages_are_for_staff_only(client, drive, login):
    assert client.get("/staff/wishes/").status_code == 302
    login("finance")
    assert client.get("/staff/wishes/").status_code == 403


def test_staff_create_verify_and_publish_a_wish(client, drive, login):
    login("staff")
    resp = client.post(f"/staff/wishes/drives/{drive.slug}/wishes", data={
        "beneficiary": "小明", "age_band": "7–9岁", "street": "ZQ", "category": "culture",
        "item": "一套绘本", "price": "88.50", "story": "<b>喜欢</b>看书"})
    assert resp.status_code == 302
    wish = db.session.scalar(sa.select(Wish))
    assert (wish.status, wish.price_fen, wish.story) == ("draft", 8_850, "<b>喜欢</b>看书")
    assert client.post(f"/staff/wishes/{wish.id}/do/publish?lang=en").status_code == 409
    for action in ("verify", "publish"):
        assert client.post(f"/staff/wishes/{wish.id}/do/{action}", data={"note": "家访"}).status_code == 302
    db.session.expire_all()
    assert (wish.status, wish.verified_by) == ("open", "staff@example.org")
    html = client.get(f"/staff/wishes/{wish.id}").get_data(as_text=True)
    assert "&lt;b&gt;喜欢&lt;/b&gt;看书" in html and "<b>喜欢</b>" not in html


def test_a_bad_price_on_the_form_writes_nothing(client, drive, login):
    login("staff")
    resp = client.post(f"/staff/wishes/drives/{drive.slug}/wishes?lang=en", data={
        "beneficiary": "小明", "age_band": "7–9岁", "street": "ZQ", "category": "culture",
        "item": "一套绘本", "price": "12.345"})
    assert resp.status_code == 400 and "Use at most two decimal places (fen)." in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Wish)) == 0


def test_purchase_delivery_and_close(client, drive, make_wish, now, login):
    wish_id, gift = _funded(make_wish, now)
    login("staff")
    resp = client.post(f"/staff/wishes/{wish_id}/purchase", data={
        "amount": "139.90", "supplier": "惠南文具店", "photo": (io.BytesIO(PNG), "receipt.png")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    wish = db.session.get(Wish, wish_id)
    assert (wish.status, wish.purchase_fen, wish.receipt_photo_type) == ("purchased", 13_990, "image/png")
    assert account_balance(db.session, chart.PROGRAM_EXPENSE, drive.fund_code) == 13_990
    assert account_balance(db.session, chart.BANK, drive.fund_code) == -13_990
    # ¥10.10 under budget stays visible in the drive's fund.
    assert fund_net_assets(db.session, drive.fund_code) == 15_000 - 13_990
    assert client.get(f"/staff/wishes/{wish_id}/receipt-photo").data == PNG
    assert client.post(f"/staff/wishes/{wish_id}/deliver", data={"note": "小雨很喜欢新书包，谢谢您！"}).status_code == 302
    assert client.post(f"/staff/wishes/{wish_id}/do/close").status_code == 302
    db.session.expire_all()
    assert wish.status == "closed"
    assert [e.action for e in wish.events][-3:] == ["purchase", "deliver", "close"]
    mail = db.session.scalar(sa.select(OutboxMessage).filter_by(dedup_key=f"wish-closed:{wish_id}"))
    assert mail.to_addr == "donor@example.org" and "小雨很喜欢新书包，谢谢您！" in mail.body
    html = client.get(f"/donations/{gift.token}/thanks?lang=en").get_data(as_text=True)
    assert 'data-wish-status="closed"' in html and "小雨很喜欢新书包，谢谢您！" in html
    code = receipts.receipt_code(client.application.config["SECRET_KEY"], gift.receipt_number)
    html = client.get(f"/receipts/{gift.receipt_number}?code={code}").get_data(as_text=True)
    assert 'data-wish-status="closed"' in html and "小雨很喜欢新书包，谢谢您！" in html


def _purchase(client, wish_id, photo, name="receipt.png", amount="150"):
    return client.post(f"/staff/wishes/{wish_id}/purchase?lang=en", data={
        "amount": amount, "supplier": "文具店", "photo": (io.BytesIO(photo), name)},
        content_type="multipart/form-data")


def test_a_non_image_or_oversized_photo_is_refused(client, drive, make_wish, now, login):
    wish_id, _gift = _funded(make_wish, now)
    login("staff")
    resp = _purchase(client, wish_id, b"%PDF-1.4 not an image", "receipt.pdf")
    assert resp.status_code == 400 and "The photo must be a JPEG or PNG image." in resp.get_data(as_text=True)
    resp = _purchase(client, wish_id, PNG + b"\x00" * photos.PHOTO_MAX_BYTES)
    assert resp.status_code == 400 and "The photo is larger than 2 MB." in resp.get_data(as_text=True)
    resp = _purchase(client, wish_id, PNG, amount="0")
    assert resp.status_code == 400 and "The price must be more than zero." in resp.get_data(as_text=True)
    assert db.session.get(Wish, wish_id).status == "funded"
    assert account_balance(db.session, chart.PROGRAM_EXPENSE, drive.fund_code) == 0


def test_the_form_warns_never_to_photograph_a_minor(client, drive, make_wish, now, login):
    wish_id, _gift = _funded(make_wish, now)
    login("staff")
    html = client.get(f"/staff/wishes/{wish_id}?lang=en").get_data(as_text=True)
    assert "never a photo of the child or any minor's face" in html


def test_an_open_wish_cannot_be_bought(client, drive, make_wish, login):
    wish = make_wish()
    login("staff")
    assert _purchase(client, wish.id, PNG).status_code == 400
    assert db.session.get(Wish, wish.id).status == "open"


def test_staff_set_the_cap_the_hold_and_late_gift_refunds(client, drive, login):
    from campaigns.wishes.settings import drive_settings

    login("staff")
    resp = client.post(f"/staff/wishes/drives/{drive.slug}/settings", data={
        "price_cap": "800", "reservation_minutes": "30", "refund_late_gifts": "y"})
    assert resp.status_code == 302
    found = drive_settings(db.session, drive)
    db.session.refresh(found)
    assert (found.price_cap_fen, found.reservation_minutes, found.refund_late_gifts) == (80_000, 30, True)
    resp = client.post(f"/staff/wishes/drives/{drive.slug}/settings?lang=en", data={
        "price_cap": "0", "reservation_minutes": "30"})
    assert resp.status_code == 400 and "The price must be more than zero." in resp.get_data(as_text=True)
    db.session.refresh(found)
    assert found.price_cap_fen == 80_000
