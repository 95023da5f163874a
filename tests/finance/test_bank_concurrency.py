"""On PostgreSQL, with real concurrent transactions: two finance officers matching the same
bank line at once, or approving the same entry at once, end with it counted once."""
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from core.auth import User, UserRole
from core.extensions import db
from finance.approvals import ApprovalError, EntryRequest, approve_entry, propose_entry
from finance.bank_import import import_statement
from finance.bank_match import MatchError, book_items, match_items
from finance.bank_models import BankAccount, BankLine, BankMatchLine
from finance.bank_setup import CMB, create_bank_account, ensure_preset_mappings
from ledger import chart
from ledger.models import JournalEntry
from ledger.posting import EntryDraft, Line, post_entry

STATEMENT = ("招商银行交易明细\n账号：121909876513579\n起止日期：20261101--20261130\n"
             "交易日期,交易时间,交易金额,余额,交易摘要,对方户名,对方账号,附言,流水号\n"
             "20261103,09:00:00,500.00,500.00,汇入,张三,,捐款,1\n"
             "20261130,23:59:59,-15.00,485.00,手续费,,,账户管理费,2\n").encode()

pytestmark = pytest.mark.postgres


def _books() -> tuple[int, list[int]]:
    """A bank account with the two lines above and a ¥500 posting; (account id, users)."""
    chart.seed_chart(db.session)
    mapping = ensure_preset_mappings(db.session)[CMB]
    account = create_bank_account(db.session, name="募捐专户", bank="招商银行",
                                  last_digits="3579", mapping=mapping)
    import_statement(db.session, account, STATEMENT, actor="system")
    post_entry(db.session, EntryDraft(date=date(2026, 11, 3), memo="张三", idempotency_key="g1",
                                      lines=(Line(chart.BANK, "GEN", 50_000),
                                             Line(chart.DONATION_INCOME, "GEN", -50_000))))
    users = [User(email=f"fo{n}@example.org", password_hash="-", roles=[UserRole(role="finance")])
             for n in range(3)]
    db.session.add_all(users)
    db.session.commit()
    return account.id, [u.id for u in users]


def _at_once(app, work, n: int = 2) -> list:
    """Run ``work(i)`` in ``n`` threads released together; the exceptions they raised."""
    errors, barrier = [], threading.Barrier(n)

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                work(i)
                db.session.commit()
            except Exception as err:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_a_line_matched_by_two_officers_at_once_is_matched_once(pg_app):
    account_id, user_ids = _books()

    def match(i):
        account = db.session.get(BankAccount, account_id)
        line = db.session.scalar(sa.select(BankLine).filter_by(amount_fen=50_000))
        (item,) = book_items(db.session, account)
        match_items(db.session, account, [line.id], [item.posting_id],
                    actor=db.session.get(User, user_ids[i]))

    errors = _at_once(pg_app, match)
    assert len(errors) == 1 and isinstance(errors[0], (sa.exc.IntegrityError, MatchError))
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankMatchLine)) == 1


def test_an_entry_approved_by_two_officers_at_once_is_posted_once(pg_app):
    account_id, user_ids = _books()
    fee = db.session.scalar(sa.select(BankLine).filter_by(amount_fen=-1_500))
    req = propose_entry(db.session, fee, kind="bank_fee", actor=db.session.get(User, user_ids[0]))
    db.session.commit()
    req_id = req.id

    def approve(i):
        approve_entry(db.session, db.session.get(EntryRequest, req_id),
                      actor=db.session.get(User, user_ids[i + 1]))

    errors = _at_once(pg_app, approve)
    assert len(errors) == 1 and isinstance(errors[0], ApprovalError)
    assert str(errors[0].message) == "该申请已处理。"  # "This request was already decided."
    db.session.expire_all()
    keys = list(db.session.scalars(sa.select(JournalEntry.idempotency_key)
                                   .where(JournalEntry.source == "bank")))
    assert keys == [f"bank:{fee.id}"]
