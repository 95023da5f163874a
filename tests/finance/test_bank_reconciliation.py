"""Done when: the November statements of two Chinese banks (ICBC in GBK, CMB in UTF-8)
reconcile with the books to a zero difference, reporting exactly the planted items; entries
for them, approved by a second finance user, clear them; the month is signed off, appears
on the close checklist, and is locked once closed."""
from datetime import date

import pytest
import sqlalchemy as sa

from campaigns.models import Campaign
from core.extensions import db
from finance.approvals import ApprovalError, approve_entry, propose_entry, reject_entry
from finance.bank_import import import_statement
from finance.bank_match import (MatchError, auto_match, book_items, match_items, match_of_line,
                                unmatch)
from finance.bank_models import BankLine, BankMatch
from finance.bank_recon import SignOffError, check_bank_reconciled, reconcile_month, sign_off
from ledger import chart
from ledger.balances import account_balance
from ledger.models import JournalEntry, Posting
from ledger.periods import close_period
from ledger.posting import Line
from tests.finance.bank_support import (CMB_CODE, CMB_CSV, ICBC_CSV, NOV_30, accounts,  # noqa: F401
                               designation, drive, import_file, november, post, users)

pytestmark = pytest.mark.usefixtures("english")


def _lines(account):
    return {(ln.txn_date.day, ln.amount_fen): ln for ln in db.session.scalars(
        sa.select(BankLine).filter_by(bank_account_id=account.id))}


def _outstanding(rec):
    return ([(ln.txn_date.day, ln.amount_fen, ln.counterparty or ln.memo) for ln in rec.bank_items],
            [(i.entry_date.day, i.amount_fen) for i in rec.book_items])


@pytest.fixture
def imported(november):
    icbc = import_file(november["icbc"], ICBC_CSV)
    cmb = import_file(november["cmb"], CMB_CSV)
    return november, icbc, cmb


def test_both_files_import_in_full(imported):
    accounts, icbc, cmb = imported
    assert (icbc.statement.line_count, len(icbc.new_lines), icbc.known_count) == (7, 7, 0)
    assert (icbc.statement.opening_fen, icbc.statement.closing_fen) == (5_000_000, 5_580_756)
    assert icbc.alike_count == 2  # 李四's two identical ¥100 transfers, both kept
    assert (cmb.statement.line_count, cmb.statement.closing_fen) == (2, 2_201_234)
    first = min(icbc.new_lines, key=lambda ln: ln.id)
    assert (first.txn_date, first.amount_fen, first.counterparty, first.reference) == (
        date(2026, 11, 4), 50_000, "张三", "捐款")
    fee = next(ln for ln in icbc.new_lines if ln.amount_fen < 0)
    assert (fee.amount_fen, fee.memo, fee.line_no) == (-1_500, "手续费", 11)


def test_reimporting_either_file_changes_nothing(imported):
    accounts, _icbc, _cmb = imported
    again = import_file(accounts["icbc"], ICBC_CSV)
    assert (len(again.new_lines), again.known_count) == (0, 7)
    assert import_file(accounts["cmb"], CMB_CSV).known_count == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankLine)) == 9


def test_november_reconciles_to_zero_with_exactly_the_planted_items(imported, users):
    accounts = imported[0]
    made = auto_match(db.session, accounts["icbc"], actor=users["approver"])
    made += auto_match(db.session, accounts["cmb"], actor=users["approver"])
    db.session.commit()
    assert len(made) == 6  # 张三, two payouts, 李四 twice, the company's transfer
    rec = reconcile_month(db.session, accounts["icbc"], "2026-11")
    assert (rec.statement_fen, rec.ledger_fen) == (5_580_756, 5_513_456)
    assert _outstanding(rec) == ([(18, 88_800, "赵六"), (30, -1_500, "手续费")], [(30, 20_000)])
    assert (rec.adjusted_bank_fen, rec.adjusted_book_fen, rec.difference_fen) == (
        5_493_456, 5_493_456, 0)
    rec = reconcile_month(db.session, accounts["cmb"], "2026-11")
    assert (rec.statement_fen, rec.ledger_fen, rec.difference_fen) == (2_201_234, 2_200_000, 0)
    assert _outstanding(rec) == ([(21, 1_234, "利息")], [])


def test_payouts_are_matched_by_reference_to_their_entries(imported, users):
    accounts = imported[0]
    auto_match(db.session, accounts["icbc"], actor=users["approver"])
    lines = _lines(accounts["icbc"])
    match = match_of_line(db.session, lines[(9, 123_456)].id)
    postings = [db.session.get(Posting, mp.posting_id) for mp in match.postings]
    assert sorted((p.fund.code, p.amount) for p in postings) == [("GOODS-YN", 23_456),
                                                                 ("SF-LJZ", 100_000)]
    assert {p.entry.idempotency_key for p in postings} == {"stripe:po_WJ1107A:payout"}


def test_planted_items_are_cleared_by_approved_entries_and_the_month_signed_off(imported, users):
    accounts = imported[0]
    icbc, cmb = accounts["icbc"], accounts["cmb"]
    preparer, approver = users["preparer"], users["approver"]
    for acc in (icbc, cmb):
        auto_match(db.session, acc, actor=approver)
    lines = _lines(icbc)
    fee = propose_entry(db.session, lines[(30, -1_500)], kind="bank_fee", actor=preparer,
                        memo="账户管理费")
    unknown = lines[(18, 88_800)]
    campaign = db.session.scalar(sa.select(Campaign))
    gift = propose_entry(db.session, unknown, kind="gift", actor=preparer, details={
        "campaign_id": campaign.id, "designation_id": designation(campaign, "SF-LJZ").id,
        "donor_name": "赵六"})
    interest = propose_entry(db.session, _lines(cmb)[(21, 1_234)], kind="interest",
                             actor=preparer)
    with pytest.raises(ApprovalError, match="another finance user"):
        approve_entry(db.session, fee, actor=preparer)
    for req in (fee, gift, interest):
        approve_entry(db.session, req, actor=approver)
    db.session.commit()
    assert account_balance(db.session, "5201", "GEN") == 1_500
    assert account_balance(db.session, "4901", "GEN") == -1_234
    assert account_balance(db.session, "4101", "SF-LJZ") == -(50_000 + 20_000 + 20_000 + 30_000
                                                              + 88_800)
    rec = reconcile_month(db.session, icbc, "2026-11")
    assert _outstanding(rec) == ([], [(30, 20_000)]) and rec.difference_fen == 0
    assert reconcile_month(db.session, cmb, "2026-11").bank_items == []
    assert not check_bank_reconciled(db.session, date(2026, 11, 1), NOV_30).ok
    for acc in (icbc, cmb):
        sign_off(db.session, acc, "2026-11", actor=approver)
    db.session.commit()
    assert check_bank_reconciled(db.session, date(2026, 11, 1), NOV_30).ok
    signed = reconcile_month(db.session, icbc, "2026-11").signed
    assert (signed.signed_by, signed.statement_fen, signed.outstanding_book_fen) == (
        "approver@example.org", 5_580_756, 20_000)


def test_a_month_that_does_not_balance_cannot_be_signed_and_a_closed_one_is_locked(imported, users):
    icbc = imported[0]["icbc"]
    with pytest.raises(SignOffError, match="does not balance|zero"):
        # Unmatched lines balance too; break it with a posting the bank never saw, in a month
        # before the statement began (so it is not an outstanding item).
        post("stray", date(2026, 10, 30), [Line(chart.BANK, "GEN", 100),
                                           Line(chart.NET_ASSETS_UNRESTRICTED, "GEN", -100)])
        sign_off(db.session, icbc, "2026-11", actor=users["approver"])
    db.session.rollback()
    auto_match(db.session, icbc, actor=users["approver"])
    close_period(db.session, "2026-11", by="approver@example.org")
    db.session.commit()
    with pytest.raises(SignOffError, match="closed"):
        sign_off(db.session, icbc, "2026-11", actor=users["approver"])
    match = db.session.scalar(sa.select(BankMatch).limit(1))
    with pytest.raises(MatchError, match="closed"):
        unmatch(db.session, icbc, match.id, actor=users["approver"])


def test_preparer_cannot_approve_or_reject_and_rejection_records_why(imported, users):
    icbc = imported[0]["icbc"]
    auto_match(db.session, icbc, actor=users["approver"])
    fee_line = _lines(icbc)[(30, -1_500)]
    req = propose_entry(db.session, fee_line, kind="bank_fee", actor=users["preparer"])
    for decide in (lambda: approve_entry(db.session, req, actor=users["preparer"]),
                   lambda: reject_entry(db.session, req, actor=users["preparer"], reason="x")):
        with pytest.raises(ApprovalError, match="another finance user must approve"):
            decide()
    with pytest.raises(ApprovalError, match="already waiting"):
        propose_entry(db.session, fee_line, kind="bank_fee", actor=users["approver"])
    with pytest.raises(ApprovalError, match="does not fit"):
        propose_entry(db.session, _lines(icbc)[(18, 88_800)], kind="bank_fee",
                      actor=users["preparer"])
    reject_entry(db.session, req, actor=users["approver"], reason="是银行错扣，已申请退回")
    db.session.commit()
    assert (req.status, req.reason, req.entry_id, req.decided_by) == (
        "rejected", "是银行错扣，已申请退回", None, "approver@example.org")
    assert reconcile_month(db.session, icbc, "2026-11").outstanding_bank_fen == 88_800 - 1_500
    again = propose_entry(db.session, fee_line, kind="bank_fee", actor=users["approver"])
    approve_entry(db.session, again, actor=users["preparer"])
    db.session.commit()
    entry = db.session.get(JournalEntry, again.entry_id)
    assert entry.idempotency_key == f"bank:{fee_line.id}"


def test_the_database_refuses_an_approval_by_the_preparer(imported, users):
    fee_line = _lines(imported[0]["icbc"])[(30, -1_500)]
    req = propose_entry(db.session, fee_line, kind="bank_fee", actor=users["preparer"])
    db.session.commit()
    req.decided_by_id = users["preparer"].id
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_manual_match_one_line_to_many_postings_and_never_twice(imported, users):
    icbc = imported[0]["icbc"]
    lines = _lines(icbc)
    items = book_items(db.session, icbc, unmatched=True)
    payout = [i for i in items if i.key == "stripe:po_WJ1107A:payout"]
    assert sorted(i.amount_fen for i in payout) == [23_456, 100_000]
    with pytest.raises(MatchError, match="must balance"):
        match_items(db.session, icbc, [lines[(9, 123_456)].id], [payout[0].posting_id],
                    actor=users["approver"])
    match = match_items(db.session, icbc, [lines[(9, 123_456)].id],
                        [i.posting_id for i in payout], actor=users["approver"])
    db.session.commit()
    with pytest.raises(MatchError, match="already matched"):
        match_items(db.session, icbc, [lines[(9, 123_456)].id],
                    [i.posting_id for i in payout], actor=users["approver"])
    unmatch(db.session, icbc, match.id, actor=users["approver"])
    db.session.commit()
    assert db.session.get(BankMatch, match.id) is None
    assert len(auto_match(db.session, icbc, actor=users["approver"])) == 5


def test_the_database_refuses_a_line_counted_twice(imported, users):
    from finance.bank_models import BankMatchLine

    icbc = imported[0]["icbc"]
    auto_match(db.session, icbc, actor=users["approver"])
    db.session.commit()
    taken = db.session.scalar(sa.select(BankMatchLine).limit(1))
    other = db.session.scalar(sa.select(BankMatch).where(BankMatch.id != taken.match_id).limit(1))
    db.session.add(BankMatchLine(match_id=other.id, bank_line_id=taken.bank_line_id))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_second_bank_account_needs_its_own_ledger_account(accounts):
    from finance.bank_setup import BankSetupError, create_bank_account

    with pytest.raises(BankSetupError, match="already uses the ledger account 1002"):
        create_bank_account(db.session, name="x", bank="y", last_digits="1")
    assert accounts["cmb"].ledger_account_code == CMB_CODE


def test_an_item_matched_after_the_month_end_stays_outstanding_in_that_month(imported, users):
    icbc = imported[0]["icbc"]
    # December's statement: 陈七's ¥200 of 30 November reaches the bank on 2 December.
    head = ICBC_CSV.read_bytes().decode("gbk").splitlines()[:4]
    december = "\r\n".join(head + [
        "0000140001,1001234509002468,6222021001112220000,2026-12-02 10:00:00,贷,,200.00,,"
        "汇入,捐款,陈七,\"56,007.56\",", "合计,,,,,,200.00,,,,,,", ""]).encode("gbk")
    import_statement(db.session, icbc, december, actor="system")
    made = auto_match(db.session, icbc, actor=users["approver"])
    assert len(made) == 6  # the five of November and 陈七's across the month end
    november_rec = reconcile_month(db.session, icbc, "2026-11")
    assert _outstanding(november_rec)[1] == [(30, 20_000)] and november_rec.difference_fen == 0
    december_rec = reconcile_month(db.session, icbc, "2026-12")
    assert (december_rec.statement_fen, december_rec.ledger_fen) == (5_600_756, 5_513_456)
    assert _outstanding(december_rec) == ([(18, 88_800, "赵六"), (30, -1_500, "手续费")], [])
    assert december_rec.difference_fen == 0


def test_the_date_window_is_a_setting(imported, users):
    icbc = imported[0]["icbc"]
    # Payouts reach the bank two days after their entries: a one-day window leaves them.
    made = auto_match(db.session, icbc, actor=users["approver"], window_days=1)
    assert sorted(m.lines[0].line.amount_fen for m in made) == [10_000, 10_000, 50_000]
