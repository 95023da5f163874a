"""Fixtures for the finance pages: a small set of books and logged-in clients per role.

The books hold one online gift to the Huinan sub-fund: ¥100.00 gross, ¥3.40 fee, dated
2026-10-05 (entry 1), so every page has exact amounts to show.
"""
import datetime as dt

import pytest

from core.extensions import db
from ledger import chart
from ledger.posting import EntryDraft, Line, ensure_fund, post_entry

GIFT_DATE = dt.date(2026, 10, 5)
HUINAN = "SUB-HUINAN"


def gift_draft(key: str, gross: int, fee: int, fund: str = HUINAN, date=GIFT_DATE) -> EntryDraft:
    lines = [Line(chart.PROCESSOR_CLEARING, fund, gross), Line(chart.DONATION_INCOME, fund, -gross)]
    if fee:
        lines += [Line(chart.FUNDRAISING_EXPENSE, fund, fee), Line(chart.PROCESSOR_CLEARING, fund, -fee)]
    return EntryDraft(date=date, memo=f"online gift {key}", idempotency_key=key, source="stripe",
                      lines=tuple(lines))


@pytest.fixture
def books(app):
    """The chart, the Huinan sub-fund and the ¥100.00 gift with its ¥3.40 fee; returns the entry id."""
    chart.seed_chart(db.session)
    ensure_fund(db.session, HUINAN, name_zh="惠南镇社区慈善专项基金",
                name_en="Huinan community sub-fund", kind="subfund", parent_code=chart.GENERAL_FUND)
    entry = post_entry(db.session, gift_draft("pi_huinan_1", 10000, 340))
    db.session.commit()
    return entry.id


@pytest.fixture
def as_role(app, make_user, dummy_url):
    """``as_role(role)``: a fresh test client logged in with a new user holding ``role``."""
    made = {}

    def log_in(role):
        user = made.get(role) or make_user(role)
        made[role] = user
        client = app.test_client()
        resp = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
        assert resp.status_code == 302
        return client

    return log_in


@pytest.fixture
def finance(as_role):
    return as_role("finance")
