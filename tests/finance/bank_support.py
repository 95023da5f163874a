"""Helpers for the bank reconciliation, offline gift and audit tests (no tests here).

November 2026 at two banks, as the fixture files show it:

ICBC (GBK, ledger account 1002), opening ¥50,000.00 — 张三 ¥500.00 on the 4th, Stripe payout
po_WJ1107A ¥1,234.56 on the 9th, 李四 ¥100.00 twice on the 10th, an unknown ¥888.00 from 赵六 on
the 18th (planted), payout po_WJ1121B ¥3,000.00 on the 23rd, a ¥15.00 fee on the 30th
(planted): closing ¥55,807.56. The books also hold 陈七's ¥200.00 transfer of the 30th that
the bank has not shown yet (a deposit in transit).

CMB (UTF-8, ledger account 100201), opening ¥20,000.00 — a company's ¥2,000.00 on the 12th,
interest ¥12.34 on the 21st (planted): closing ¥22,012.34.
"""
from datetime import date
from pathlib import Path

import pytest

from core.auth import User, UserRole
from core.extensions import db
from ledger import chart
from ledger.posting import EntryDraft, Line, post_entry
# The live drive "wanjia" offering SF-LJZ and GOODS-YN: the Stripe tests' own fixture.
from tests.finance.stripe_support import drive  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures"
ICBC_CSV = FIXTURES / "bank_icbc_2026-11.csv"
CMB_CSV = FIXTURES / "bank_cmb_2026-11.csv"
OCT_31, NOV_30 = date(2026, 10, 31), date(2026, 11, 30)
CMB_CODE = "100201"


def post(key: str, day: date, lines, memo: str = "") -> int:
    entry = post_entry(db.session, EntryDraft(date=day, memo=memo or key, idempotency_key=key,
                                              source="test", lines=tuple(lines)))
    return entry.id


def post_payout(po: str, day: date, splits: dict[str, int]) -> int:
    """A Stripe payout as the Stripe reconciliation posts it: bank / processor clearing."""
    lines = []
    for fund, amount in splits.items():
        lines += [Line(chart.BANK, fund, amount), Line(chart.PROCESSOR_CLEARING, fund, -amount)]
    return post(f"stripe:{po}:payout", day, lines, memo=f"Stripe payout {po}")


@pytest.fixture
def users(app):
    """Two finance officers (preparer and approver), staff, an auditor and an admin.

    They never log in here, so they get no real password hash (scrypt is slow on purpose).
    """
    made = {name: User(email=f"{name}@example.org", display_name=name, password_hash="-",
                       roles=[UserRole(role=role)])
            for name, role in (("preparer", "finance"), ("approver", "finance"),
                               ("staff", "staff"), ("auditor", "auditor"), ("admin", "admin"))}
    db.session.add_all(made.values())
    db.session.commit()
    return made


@pytest.fixture
def accounts(drive):
    """ICBC on 1002 and CMB on 100201 with the preset mappings and their opening balances."""
    from finance.bank_setup import CMB, ICBC, create_bank_account, ensure_preset_mappings

    presets = ensure_preset_mappings(db.session)
    icbc = create_bank_account(db.session, name="基本户", bank="中国工商银行上海浦东分行",
                               last_digits="2468", mapping=presets[ICBC])
    cmb = create_bank_account(db.session, name="募捐专户", bank="招商银行上海分行",
                              last_digits="3579", ledger_account_code=CMB_CODE,
                              mapping=presets[CMB])
    post("opening:icbc", OCT_31, [Line(chart.BANK, "GEN", 5_000_000),
                                  Line(chart.NET_ASSETS_UNRESTRICTED, "GEN", -5_000_000)])
    post("opening:cmb", OCT_31, [Line(CMB_CODE, "GEN", 2_000_000),
                                 Line(chart.NET_ASSETS_UNRESTRICTED, "GEN", -2_000_000)])
    db.session.commit()
    return {"icbc": icbc, "cmb": cmb}


@pytest.fixture
def signed_in(app):
    """``signed_in(role, email)``: a test client signed in as a new user, through the session
    as Flask-Login keeps it (the login page is tested elsewhere, and scrypt is slow)."""
    def sign_in(role, email):
        user = User(email=email, display_name=email, password_hash="-",
                    roles=[UserRole(role=role)])
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = str(user.id), True
        return client
    return sign_in


def designation(campaign, fund: str):
    return next(d for d in campaign.designations if d.fund_code == fund)


def gift(campaign, name: str, amount: int, day: int, fund: str = "SF-LJZ",
         channel: str = "bank_transfer", bank_code: str = chart.BANK, **kw):
    from finance.offline import OfflineGift

    return OfflineGift(campaign=campaign, designation=designation(campaign, fund),
                       donor_name=name, amount_fen=amount, channel=channel,
                       gift_date=date(2026, 11, day), collected_by=kw.pop("collected_by", "小王"),
                       bank_account_code=bank_code, **kw)


@pytest.fixture
def november(accounts, drive, users):
    """The books of November: the two payouts and the offline gifts (one in cash)."""
    from finance.offline import record_offline_gift

    post_payout("po_WJ1107A", date(2026, 11, 7), {"SF-LJZ": 100_000, "GOODS-YN": 23_456})
    post_payout("po_WJ1121B", date(2026, 11, 21), {"SF-LJZ": 300_000})
    staff = users["staff"]
    for args in (("张三", 50_000, 4), ("李四", 10_000, 10), ("李四", 10_000, 10),
                 ("陈七", 20_000, 30)):
        record_offline_gift(db.session, gift(drive, *args), actor=staff)
    record_offline_gift(db.session, gift(drive, "王五", 30_000, 15, channel="cash"), actor=staff)
    record_offline_gift(db.session, gift(drive, "上海浦东爱心企业有限公司", 200_000, 12,
                                         fund="GOODS-YN", bank_code=CMB_CODE), actor=staff)
    db.session.commit()
    return accounts


def import_file(account, path: Path, actor="system"):
    from finance.bank_import import import_statement

    result = import_statement(db.session, account, path.read_bytes(), actor=actor,
                              filename=path.name)
    db.session.commit()
    return result
