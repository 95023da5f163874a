"""Offline gifts: a ¥500 bank transfer and a ¥300 cash gift are booked to bank and cash (never
processor clearing), numbered from the same gapless receipt sequence, and the transfer waits
"to be matched" until a bank line matches it."""
import pytest
import sqlalchemy as sa

from core.audit import AuditEvent
from core.extensions import db
from donate.models import Donation
from donate.receipts import check_receipt_code, receipt_code
from finance.bank_match import auto_match
from finance.offline import OfflineGiftError, offline_gifts, record_offline_gift
from ledger.balances import account_balance
from ledger.models import JournalEntry
from tests.finance.bank_support import (ICBC_CSV, accounts, drive, gift, import_file,  # noqa: F401
                               november, signed_in, users)


def _lines(entry_id: int) -> list[tuple]:
    entry = db.session.get(JournalEntry, entry_id)
    return sorted((p.account.code, p.fund.code, p.amount) for p in entry.postings)


def test_a_bank_transfer_is_booked_to_the_bank_with_the_next_receipt_number(drive, users):
    donation = record_offline_gift(db.session, gift(drive, "张三", 50_000, 4), actor=users["staff"])
    cash = record_offline_gift(db.session, gift(drive, "王五", 30_000, 15, channel="cash",
                                                fund="GOODS-YN"), actor=users["staff"])
    db.session.commit()
    assert (donation.status, donation.channel, donation.receipt_number) == (
        "succeeded", "bank_transfer", "2026-000001")
    assert donation.source_ref.startswith("offline:") and donation.amount_fen == 50_000
    assert _lines(donation.entry_id) == [("1002", "SF-LJZ", 50_000), ("4101", "SF-LJZ", -50_000)]
    assert (cash.receipt_number, cash.channel) == ("2026-000002", "cash")
    assert _lines(cash.entry_id) == [("1001", "GOODS-YN", 30_000), ("4101", "GOODS-YN", -30_000)]
    entry = db.session.get(JournalEntry, donation.entry_id)
    assert (entry.entry_date.isoformat(), entry.idempotency_key) == (
        "2026-11-04", donation.booking_key)
    assert account_balance(db.session, "100901") == 0  # processor clearing untouched


def test_the_receipt_of_an_offline_gift_verifies(app, drive, users, client):
    donation = record_offline_gift(db.session, gift(drive, "张三", 50_000, 4), actor=users["staff"])
    db.session.commit()
    code = receipt_code(app.config["SECRET_KEY"], donation.receipt_number)
    assert check_receipt_code(app.config["SECRET_KEY"], donation.receipt_number, code)
    resp = client.get(f"/receipts/{donation.receipt_number}?code={code}&lang=en")
    assert resp.status_code == 200 and "500.00" in resp.get_data(as_text=True)


@pytest.mark.parametrize("changes, field", [
    ({"amount": 0}, "amount"), ({"channel": "cheque"}, "channel"),
    ({"name": " "}, "donor_name"), ({"collected_by": " "}, "collected_by"),
])
def test_a_bad_gift_is_refused_and_writes_nothing(drive, users, changes, field):
    args = {"name": "张三", "amount": 50_000, "day": 4, **changes}
    bad = gift(drive, args.pop("name"), args.pop("amount"), args.pop("day"), **args)
    with pytest.raises(OfflineGiftError) as err:
        record_offline_gift(db.session, bad, actor=users["staff"])
    assert err.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0


def _waiting() -> list[tuple[str, int]]:
    return sorted((d.donor_name, d.amount_fen)
                  for d, _m in offline_gifts(db.session, to_be_matched=True))


def test_transfers_wait_to_be_matched_until_a_bank_line_matches_them(november, users):
    waiting = _waiting()
    assert waiting == [("上海浦东爱心企业有限公司", 200_000), ("张三", 50_000),
                               ("李四", 10_000), ("李四", 10_000), ("陈七", 20_000)]
    import_file(november["icbc"], ICBC_CSV)
    auto_match(db.session, november["icbc"], actor=users["approver"])
    db.session.commit()
    waiting = _waiting()
    assert waiting == [("上海浦东爱心企业有限公司", 200_000), ("陈七", 20_000)]
    everything = {d.donor_name: m for d, m in offline_gifts(db.session)}
    assert everything["张三"] is True and everything["王五"] is False  # cash is never banked here


def _form(drive, **changes) -> dict:
    data = {"designation": next(d.id for d in drive.designations if d.fund_code == "SF-LJZ"),
            "donor_name": "张三", "email": "", "amount": "1000.50",
            "channel": "bank_transfer", "bank_account": "1002", "gift_date": "2026-11-04",
            "collected_by": "小王"}
    data.update(changes)
    return data


def test_staff_record_a_gift_on_the_page_and_it_is_audited(accounts, drive, signed_in):
    client = signed_in("staff", "st@example.org")
    resp = client.post("/finance/offline-gifts/?lang=en", data=_form(drive))
    assert resp.status_code == 303
    page = client.get("/finance/offline-gifts/?lang=en&to_be_matched=1").get_data(as_text=True)
    assert "Gift recorded: receipt 2026-000001." in page and 'data-matched="0"' in page
    donation = db.session.scalar(sa.select(Donation))
    assert (donation.amount_fen, donation.donor_name) == (100_050, "张三")
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="offline.gift"))
    assert (event.actor, event.object_type, event.object_id) == (
        "st@example.org", "donations", str(donation.id))
    assert event.after_data["amount"] == 100_050 and event.before == ""


@pytest.mark.parametrize("changes, message", [
    ({"amount": "12.345"}, "Use at most two decimal places (fen)."),
    ({"amount": "-5"}, "The amount must be more than zero."),
    ({"gift_date": "2026/11/04"}, "Enter a date as YYYY-MM-DD"),
    ({"donor_name": ""}, "This field is required."),
    ({"bank_account": "9999"}, "Not a valid choice"),
])
def test_bad_input_on_the_page_is_a_form_error(accounts, drive, signed_in, changes, message):
    client = signed_in("finance", "fo@example.org")
    resp = client.post("/finance/offline-gifts/?lang=en", data=_form(drive, **changes))
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0


def test_auditors_read_the_list_but_cannot_record(accounts, drive, signed_in):
    client = signed_in("auditor", "au@example.org")
    assert client.get("/finance/offline-gifts/").status_code == 200
    assert client.post("/finance/offline-gifts/", data=_form(drive)).status_code == 403


def test_a_gift_dated_in_a_closed_month_is_refused_on_the_page(accounts, drive, signed_in):
    from ledger.periods import close_period

    close_period(db.session, "2026-11", by="fo@example.org")
    db.session.commit()
    client = signed_in("finance", "fo@example.org")
    resp = client.post("/finance/offline-gifts/?lang=en", data=_form(drive))
    assert resp.status_code == 400
    assert "The period 2026-11 is closed" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0
