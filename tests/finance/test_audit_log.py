"""The finance audit log: every bank, approval and offline-gift action is recorded with who,
when, what, before and after; events cannot be changed; admins and auditors read them."""
from datetime import date

import pytest
import sqlalchemy as sa

from core.audit import AuditEvent, audit_events, record_audit
from core.extensions import db
from finance.approvals import approve_entry, propose_entry, reject_entry
from finance.bank_match import auto_match, book_items, match_items, unmatch
from finance.bank_models import BankLine
from finance.bank_recon import sign_off
from tests.finance.bank_support import (ICBC_CSV, accounts, drive, import_file, november,  # noqa: F401
                               signed_in, users)


def test_record_audit_keeps_who_what_before_and_after(users):
    user = users["approver"]
    event = record_audit(db.session, user, "bank.test", user, {"active": True},
                         {"active": False, "on": date(2026, 11, 30), "name": "张三"})
    db.session.commit()
    assert (event.actor_id, event.actor, event.action) == (user.id, "approver@example.org",
                                                           "bank.test")
    assert (event.object_type, event.object_id) == ("users", str(user.id))
    assert event.before_data == {"active": True}
    assert event.after == '{"active": false, "name": "张三", "on": "2026-11-30"}'
    system = record_audit(db.session, "system", "stripe.sync", ("stripe_payouts", "po_1"))
    assert (system.actor_id, system.actor, system.object_id, system.before) == (
        None, "system", "po_1", "")


def test_events_are_append_only(users):
    event = record_audit(db.session, "system", "bank.test")
    db.session.commit()
    event.action = "bank.other"
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_every_finance_action_here_is_recorded(november, users):
    icbc, preparer, approver = november["icbc"], users["preparer"], users["approver"]
    import_file(icbc, ICBC_CSV, actor=preparer)
    line = db.session.scalar(sa.select(BankLine).filter_by(amount_fen=50_000))
    (item,) = [i for i in book_items(db.session, icbc) if i.amount_fen == 50_000]
    match = match_items(db.session, icbc, [line.id], [item.posting_id], actor=preparer)
    unmatch(db.session, icbc, match.id, actor=approver)
    auto_match(db.session, icbc, actor=approver)
    lines = {ln.amount_fen: ln for ln in db.session.scalars(sa.select(BankLine))}
    fee = propose_entry(db.session, lines[-1_500], kind="bank_fee", actor=preparer)
    reject_entry(db.session, fee, actor=approver, reason="银行错扣")
    fee = propose_entry(db.session, lines[-1_500], kind="bank_fee", actor=preparer)
    approve_entry(db.session, fee, actor=approver)
    db.session.commit()
    actions = [e.action for e in audit_events(db.session, limit=50)][::-1]
    assert actions == ["offline.gift"] * 6 + [
        "bank.import", "bank.manual_match", "bank.unmatch", "bank.auto_match",
        "approval.prepare", "approval.reject", "approval.prepare", "bank.entry_match",
        "approval.approve"]
    unmatched = audit_events(db.session, action="bank.unmatch")[0]
    assert unmatched.before_data == {"match": match.id, "kind": "manual", "lines": [line.id],
                                     "postings": [item.posting_id]}
    assert unmatched.after == "" and unmatched.actor == "approver@example.org"
    approved = audit_events(db.session, action="approval.approve")[0]
    assert (approved.before_data["status"], approved.after_data["status"]) == ("pending",
                                                                               "approved")
    assert approved.after_data["entry"] == fee.entry_id


def test_sign_off_is_recorded(november, users):
    icbc = november["icbc"]
    import_file(icbc, ICBC_CSV)
    auto_match(db.session, icbc, actor=users["approver"])
    sign_off(db.session, icbc, "2026-11", actor=users["approver"])
    db.session.commit()
    (event,) = audit_events(db.session, action="bank.sign_off")
    assert event.after_data["statement"] == 5_580_756
    assert len(event.after_data["outstanding_bank"]) == 2


def test_the_filters_narrow_the_list(users):
    for action in ("bank.import", "bank.match", "bankish.other", "offline.gift"):
        record_audit(db.session, users["preparer"], action)
    record_audit(db.session, users["approver"], "bank.import")
    db.session.commit()
    assert [e.action for e in audit_events(db.session, action="bank")] == [
        "bank.import", "bank.match", "bank.import"]
    assert len(audit_events(db.session, actor="APPROVER@")) == 1
    assert audit_events(db.session, action="bank%") == []


def test_admins_and_auditors_read_the_log_and_no_one_else(users, signed_in):
    record_audit(db.session, users["preparer"], "bank.import", ("bank_statements", 7),
                 None, {"lines": 7})
    record_audit(db.session, users["staff"], "offline.gift", ("donations", 1), None, {})
    db.session.commit()
    for role in ("admin", "auditor"):
        client = signed_in(role, f"{role}2@example.org")
        page = client.get("/audit/?action=bank&lang=en").get_data(as_text=True)
        assert 'data-action="bank.import"' in page and 'data-action="offline.gift"' not in page
        assert "bank_statements 7" in page
    for role in ("finance", "staff"):
        assert signed_in(role, f"{role}2@example.org").get("/audit/").status_code == 403
    auditor = signed_in("auditor", "au3@example.org")
    resp = auditor.get("/audit/?start=yesterday&lang=en")
    assert resp.status_code == 400 and "Not a valid date value." in resp.get_data(as_text=True)
