"""The bank reconciliation and approval pages, driven as finance officers use them: upload the
November statements, match, prepare an entry that a second officer approves, sign off."""
import io

import pytest
import sqlalchemy as sa

from campaigns.models import Designation
from core.extensions import db
from finance.approvals import EntryRequest
from finance.bank_match import book_items
from finance.bank_models import (BankLine, BankMapping, BankMatch, BankReconciliation,
                                 BankStatement)
from ledger.models import Account
from tests.finance.bank_support import (CMB_CSV, ICBC_CSV, accounts, drive, import_file,  # noqa: F401
                               november, signed_in, users)

def upload(client, account, data: bytes, name="statement.csv"):
    return client.post(f"/finance/bank/accounts/{account.id}/import?lang=en",
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_finance_uploads_both_statements_and_again_without_change(november, signed_in):
    client = signed_in("finance", "fo1@example.org")
    resp = upload(client, november["icbc"], ICBC_CSV.read_bytes(), ICBC_CSV.name)
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"] + "?lang=en&month=2026-11").get_data(as_text=True)
    assert 'data-amount="88800"' in page and 'data-amount="-1500"' in page
    assert upload(client, november["cmb"], CMB_CSV.read_bytes()).status_code == 303
    resp = upload(client, november["icbc"], ICBC_CSV.read_bytes())
    assert resp.status_code == 303
    flashed = client.get("/finance/bank/?lang=en").get_data(as_text=True)
    assert "0 new lines imported, 7 already known; 2 lines look alike" in flashed
    assert (count(BankLine), count(BankStatement)) == (9, 3)


@pytest.mark.parametrize("data, message", [
    (b"PK\x03\x04 not really a workbook", "This is an Excel workbook, not a CSV file."),
    (CMB_CSV.read_bytes(), "The file is UTF-8 text, but the mapping says GBK."),
    (ICBC_CSV.read_bytes().replace(b"1,234.56", b"1,234.567"),
     "Line 6: an amount has more than two decimal places."),
])
def test_a_bad_file_is_refused_with_its_reason_and_writes_nothing(november, signed_in, data,
                                                                  message):
    client = signed_in("finance", "fo1@example.org")
    resp = upload(client, november["icbc"], data)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert (count(BankLine), count(BankStatement)) == (0, 0)


def test_auditors_read_but_cannot_act_and_staff_cannot_see(november, signed_in):
    auditor = signed_in("auditor", "au@example.org")
    icbc = november["icbc"]
    for url in ("/finance/bank/", f"/finance/bank/accounts/{icbc.id}", "/finance/bank/mappings",
                f"/finance/bank/accounts/{icbc.id}/reconciliation/2026-11", "/finance/approvals/"):
        assert auditor.get(url).status_code == 200, url
    assert upload(auditor, icbc, ICBC_CSV.read_bytes()).status_code == 403
    assert auditor.post(f"/finance/bank/accounts/{icbc.id}/auto-match").status_code == 403
    staff = signed_in("staff", "st@example.org")
    assert staff.get("/finance/bank/").status_code == 403


def test_match_by_hand_unmatch_and_refuse_counting_twice(november, signed_in):
    client = signed_in("finance", "fo1@example.org")
    icbc = november["icbc"]
    import_file(icbc, ICBC_CSV)
    line = db.session.scalar(sa.select(BankLine).filter_by(amount_fen=50_000))
    (item,) = [i for i in book_items(db.session, icbc) if i.amount_fen == 50_000]
    url = f"/finance/bank/accounts/{icbc.id}/match?lang=en"
    form = {"lines": [line.id], "postings": [item.posting_id]}
    assert client.post(url, data=form).status_code == 303
    resp = client.post(url, data=form)
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    assert f"Bank line {line.id} is already matched; it cannot count twice." in text
    assert count(BankMatch) == 1
    match = db.session.scalar(sa.select(BankMatch))
    resp = client.post(f"/finance/bank/accounts/{icbc.id}/matches/{match.id}/unmatch")
    assert resp.status_code == 303 and count(BankMatch) == 0


def test_prepare_approve_by_another_and_sign_off(november, signed_in):
    icbc = november["icbc"]
    import_file(icbc, ICBC_CSV)
    first, second = signed_in("finance", "fo1@example.org"), signed_in("finance", "fo2@example.org")
    assert first.post(f"/finance/bank/accounts/{icbc.id}/auto-match").status_code == 303
    fee = db.session.scalar(sa.select(BankLine).filter_by(amount_fen=-1_500))
    resp = first.post(f"/finance/approvals/lines/{fee.id}", data={"kind": "bank_fee",
                                                                   "memo": "账户管理费"})
    assert resp.status_code == 303
    req = db.session.scalar(sa.select(EntryRequest))
    listing = first.get("/finance/approvals/?lang=en").get_data(as_text=True)
    assert "Another finance user must decide." in listing
    resp = first.post(f"/finance/approvals/{req.id}/approve?lang=en")
    assert resp.status_code == 409
    assert "another finance user must approve or reject it" in resp.get_data(as_text=True)
    assert second.post(f"/finance/approvals/{req.id}/approve").status_code == 303
    unknown = db.session.scalar(sa.select(BankLine).filter_by(amount_fen=88_800))
    des = db.session.scalar(sa.select(Designation).filter_by(fund_code="SF-LJZ"))
    resp = second.post(f"/finance/approvals/lines/{unknown.id}",
                       data={"kind": "gift", "designation": des.id, "donor_name": ""})
    assert resp.status_code == 303
    gift_req = db.session.scalar(sa.select(EntryRequest).filter_by(bank_line_id=unknown.id))
    assert first.post(f"/finance/approvals/{gift_req.id}/approve").status_code == 303
    page = first.get(f"/finance/bank/accounts/{icbc.id}/reconciliation/2026-11?lang=en")
    assert 'data-difference="0"' in page.get_data(as_text=True)
    resp = second.post(f"/finance/bank/accounts/{icbc.id}/reconciliation/2026-11/sign-off")
    assert resp.status_code == 303
    signed = db.session.scalar(sa.select(BankReconciliation))
    assert (signed.signed_by, signed.outstanding_bank_fen, signed.outstanding_book_fen) == (
        "fo2@example.org", 0, 20_000)
    resp = first.post(f"/finance/bank/accounts/{icbc.id}/reconciliation/2026-11/sign-off?lang=en")
    assert resp.status_code == 409
    assert "was already signed off by fo2@example.org" in resp.get_data(as_text=True)


def test_reject_needs_a_reason(november, signed_in):
    icbc = november["icbc"]
    import_file(icbc, ICBC_CSV)
    first, second = signed_in("finance", "fo1@example.org"), signed_in("finance", "fo2@example.org")
    fee = db.session.scalar(sa.select(BankLine).filter_by(amount_fen=-1_500))
    first.post(f"/finance/approvals/lines/{fee.id}", data={"kind": "bank_fee"})
    req = db.session.scalar(sa.select(EntryRequest))
    resp = second.post(f"/finance/approvals/{req.id}/reject?lang=en", data={"reason": ""})
    assert resp.status_code == 400 and "This field is required." in resp.get_data(as_text=True)
    assert second.post(f"/finance/approvals/{req.id}/reject",
                       data={"reason": "银行错扣"}).status_code == 303
    db.session.expire_all()
    assert (req.status, req.reason) == ("rejected", "银行错扣")


def test_a_gift_line_needs_a_designation(november, signed_in):
    icbc = november["icbc"]
    import_file(icbc, ICBC_CSV)
    client = signed_in("finance", "fo1@example.org")
    unknown = db.session.scalar(sa.select(BankLine).filter_by(amount_fen=88_800))
    resp = client.post(f"/finance/approvals/lines/{unknown.id}?lang=en",
                       data={"kind": "gift", "designation": 0})
    assert resp.status_code == 400
    assert "Choose the drive the gift is for." in resp.get_data(as_text=True)
    assert count(EntryRequest) == 0


def test_mappings_and_accounts_are_set_up_on_the_pages(accounts, signed_in):
    client = signed_in("finance", "fo1@example.org")
    mapping = {"name": "建设银行", "encoding": "gbk", "header_row": "2", "skip_footer": "0",
               "date_column": "交易日期", "date_format": "%Y%m%d", "amount_column": "交易金额",
               "debit_column": "支出", "credit_column": "", "balance_column": "余额"}
    resp = client.post("/finance/bank/mappings?lang=en", data=mapping)
    assert resp.status_code == 400
    assert "Give either an amount column, or both a debit and a credit column." in \
        resp.get_data(as_text=True)
    assert client.post("/finance/bank/mappings", data={**mapping, "debit_column": ""}
                       ).status_code == 303
    saved = db.session.scalar(sa.select(BankMapping).filter_by(name="建设银行"))
    assert (saved.encoding, saved.amount_column, saved.debit_column) == ("gbk", "交易金额", None)
    account = {"name": "零余额户", "bank": "建设银行", "last_digits": "0001",
               "ledger_account_code": "1002", "mapping": saved.id}
    resp = client.post("/finance/bank/accounts?lang=en", data=account)
    assert resp.status_code == 400
    assert "Another bank account already uses the ledger account 1002" in \
        resp.get_data(as_text=True)
    resp = client.post("/finance/bank/accounts", data={**account, "ledger_account_code": "100202"})
    assert resp.status_code == 303
    opened = db.session.scalar(sa.select(Account).filter_by(code="100202"))
    assert (opened.type, opened.name_zh) == ("asset", "银行存款—建设银行")
