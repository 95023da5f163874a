"""Helpers for the Stripe reconciliation and close tests (no tests here): a live drive with
its funds, gifts booked with the PaymentIntent ids the fixture files use, and the November
2026 month those files describe."""
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.extensions import db

FIXTURES = Path(__file__).parent / "fixtures"
NOV_CSV = FIXTURES / "stripe_payout_reconciliation_2026-11.csv"
NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)
HEADER = ("automatic_payout_id,automatic_payout_effective_at,balance_transaction_id,created_utc,"
          "currency,gross,fee,net,reporting_category,source_id,payment_intent_id\n")

#: The gifts in the books in November: (payment intent, fund, gross, fee in the books, UTC).
NOVEMBER_GIFTS = (
    ("pi_wj1101", "SF-LJZ", 10_000, 0, datetime(2026, 11, 3, 8, 15)),
    ("pi_wj1102", "GOODS-YN", 20_000, 120, datetime(2026, 11, 5, 2, 40, 11)),
    ("pi_wj1103", "SF-LJZ", 5_000, 30, datetime(2026, 11, 12, 13, 5)),
    ("pi_wj1104", "GOODS-YN", 50_000, 0, datetime(2026, 11, 14, 9, 30)),
)


@pytest.fixture
def drive(app):
    """A live drive with designations SF-LJZ (sub-fund) and GOODS-YN (goods), fees borne by
    the designated fund."""
    from ledger.chart import seed_chart
    from ledger.posting import ensure_fund
    from tests.conftest import campaign_in_status

    seed_chart(db.session)
    for code, kind in (("SF-LJZ", "subfund"), ("GOODS-YN", "goods")):
        ensure_fund(db.session, code, name_zh=code, name_en=code, kind=kind)
    db.session.commit()
    return campaign_in_status("live", slug="wanjia", title_zh="万人捐、帮万家",
                              title_en="10,000 donors help 10,000 homes",
                              designation_funds=("SF-LJZ", "GOODS-YN"))


def book_gift(campaign, pi: str, fund: str, gross: int, fee: int, when: datetime):
    """A gift paid through ``pi`` and booked as the webhook books it; committed."""
    from donate import services
    from donate.models import Donation

    designation = next(d for d in campaign.designations if d.fund_code == fund)
    donation = Donation(campaign=campaign, designation=designation, amount_fen=gross,
                        stripe_payment_intent=pi, email="", donor_name="张三")
    db.session.add(donation)
    db.session.flush()
    services.book_donation_succeeded(db.session, donation, fee_fen=fee, when=when)
    db.session.commit()
    return donation


@pytest.fixture
def november(drive):
    """The books of November 2026 as the fixture file expects them."""
    return {pi: book_gift(drive, pi, fund, gross, fee, when)
            for pi, fund, gross, fee, when in NOVEMBER_GIFTS}


def entry_count() -> int:
    from ledger.models import JournalEntry

    return db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry))


def balances(account_name: str) -> dict:
    """``{fund: balance}`` of one account, zeros left out."""
    from ledger import chart
    from ledger.balances import account_balance

    db.session.expire_all()
    out = {}
    for fund in ("GEN", "SF-LJZ", "GOODS-YN"):
        amount = account_balance(db.session, getattr(chart, account_name), fund)
        if amount:
            out[fund] = amount
    return out


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode("utf-8")
