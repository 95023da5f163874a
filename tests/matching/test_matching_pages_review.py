"""Staff review of held matches, the forecast, the sponsor statement (page and CSV) and the
sponsor payment that finance records — exact amounts, and refusals that write nothing."""
import csv
import io
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from campaigns.matching import state
from campaigns.matching.models import Match, PledgeEvent
from core.extensions import db
from ledger import chart
from ledger.balances import account_balance
from tests.matching.support import FUND, T0, matches_of


def page(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def held(app, make_pledge, give):
    """A pledge and two gifts from one donor within minutes: the second match is held."""
    app.config["MATCHING_BURST_GIFTS"] = 2
    pledge = make_pledge()
    give(10_000, email="same@example.org")
    second = give(5_000, email="same@example.org", at=T0 + timedelta(minutes=1))
    (match,) = matches_of(db.session, second)
    assert (match.status, match.amount_fen) == (state.HELD, 5_000)
    return pledge, match


def _review(client, match, decision):
    return client.post(f"/staff/matching/matches/{match.id}/review?lang=en", data={"decision": decision})


def test_the_review_page_lists_held_matches(client, login, held):
    login("staff")
    _pledge, match = held
    body = page(client.get("/staff/matching/review?lang=en"))
    assert f'data-match="{match.id}"' in body
    assert "burst: 2 gifts from one donor within 10 min" in body
    assert "1 matches are held for review." in page(client.get("/staff/matching/?lang=en"))


def test_release_books_a_held_match(client, login, held):
    login("staff")
    pledge, match = held
    resp = _review(client, match, "release")
    assert resp.status_code == 302
    assert f"Match #{match.id} was released and booked." in page(client.get(resp.headers["Location"]))
    db.session.expire_all()
    assert (match.status, match.reviewed_by) == (state.MATCHED, "staff@example.org")
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 15_000
    assert pledge.spent_fen == 15_000


def test_reject_returns_the_match_to_the_pool(client, login, held):
    login("staff")
    pledge, match = held
    assert _review(client, match, "reject").status_code == 302
    db.session.expire_all()
    assert match.status == state.REJECTED
    assert pledge.spent_fen == 10_000
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 10_000
    again = _review(client, match, "release")
    assert "This match is not waiting for review any more." in page(client.get(again.headers["Location"]))
    db.session.expire_all()
    assert match.status == state.REJECTED


def test_a_review_needs_a_decision_and_staff(client, login, held):
    _pledge, match = held
    login("finance")
    assert _review(client, match, "release").status_code == 403
    assert client.get("/staff/matching/review").status_code == 200  # finance may read it


def test_the_forecast_shows_the_last_hour_and_when_the_pool_runs_out(client, login, make_pledge, give):
    from core.auth import utcnow

    now = utcnow()
    pledge = make_pledge(pool_fen=100_000, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30))
    give(20_000, at=now - timedelta(minutes=30))
    give(5_000, at=now - timedelta(hours=2))
    login("staff")
    body = page(client.get(f"/staff/matching/pledges/{pledge.id}?lang=en"))
    assert 'data-last-hour-fen="20000"' in body
    assert "Matched in the last hour: CN¥200.00." in body
    # ¥750 left at ¥200 an hour: 3¾ hours after the page was made, before the window closes.
    runs_out = datetime.fromisoformat(re.search(r'data-runs-out-at="([^"]+)"', body)[1])
    assert timedelta(hours=3, minutes=45) <= runs_out - now < timedelta(hours=3, minutes=46)
    assert "At this rate the pool runs out at" in body and "before the window closes" in body
    assert "CN¥250.00 of the CN¥1,000.00 pool used; CN¥750.00 left." in body


@pytest.fixture
def matched(make_pledge, give):
    """A pledge with ¥100 and ¥50 matched, one gift partly refunded back to ¥30 of match."""
    pledge = make_pledge()
    give(10_000)
    give(5_000)
    return pledge


def test_the_statement_page(client, login, matched):
    login("auditor")
    body = page(client.get(f"/staff/matching/pledges/{matched.id}/statement?lang=en"))
    assert '<dd id="gifts-matched">2</dd>' in body
    assert '<dd id="amount-matched">CN¥150.00</dd>' in body
    assert '<dd id="amount-paid">CN¥0.00</dd>' in body
    assert '<dd id="amount-outstanding">CN¥150.00</dd>' in body


def test_the_statement_csv_opens_in_excel(client, login, matched):
    login("staff")
    resp = client.get(f"/staff/matching/pledges/{matched.id}/statement?format=csv&lang=en")
    assert resp.mimetype == "text/csv"
    assert resp.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0] == ["Date", "Kind", "Gift or reference", "Gift (yuan)", "Matched (yuan)", "Paid (yuan)"]
    assert [r[1:] for r in rows[1:3]] == [["Matched", rows[1][2], "100.00", "100.00", ""],
                                          ["Matched", rows[2][2], "50.00", "50.00", ""]]
    assert rows[-2] == ["", "Total", "2 gifts matched", "", "150.00", "0.00"]
    assert rows[-1] == ["", "Outstanding", "", "", "150.00", ""]


def _pay(client, pledge, amount, reference="BANK-001"):
    return client.post(f"/staff/matching/pledges/{pledge.id}/payment?lang=en",
                       data={"amount": amount, "day": "2026-12-05", "reference": reference})


def test_finance_records_a_sponsor_payment(client, login, matched):
    login("finance")
    form = page(client.get(f"/staff/matching/pledges/{matched.id}/payment?lang=en"))
    assert "The sponsor may pay up to CN¥150.00 now." in form
    resp = _pay(client, matched, "120.50")
    assert resp.status_code == 302
    db.session.expire_all()
    assert matched.received_fen == 12_050
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 15_000 - 12_050
    body = page(client.get(f"/staff/matching/pledges/{matched.id}/statement?lang=en"))
    assert '<dd id="amount-paid">CN¥120.50</dd>' in body
    assert '<dd id="amount-outstanding">CN¥29.50</dd>' in body
    assert "BANK-001" in body


@pytest.mark.parametrize("amount, reference, message", [
    ("150.01", "BANK-001", "This payment is larger than what the sponsor owes (CN¥150.00)."),
    ("0", "BANK-001", "The amount must be more than zero."),
    ("1.234", "BANK-001", "Use at most two decimal places (fen)."),
    ("abc", "BANK-001", "Enter an amount like 50 or 12.50."),
    ("100", "", "Give the bank reference of the payment (at most 100 characters)."),
])
def test_a_bad_sponsor_payment_is_refused_and_nothing_is_written(client, login, matched, amount,
                                                                reference, message):
    login("finance")
    resp = _pay(client, matched, amount, reference)
    assert resp.status_code == 400
    assert message in page(resp)
    db.session.expire_all()
    assert matched.received_fen == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PledgeEvent)
                             .where(PledgeEvent.action == "payment")) == 0


def test_only_finance_records_payments(client, login, matched):
    login("staff")
    assert _pay(client, matched, "10").status_code == 403
    assert "Record a sponsor payment" not in page(client.get(f"/staff/matching/pledges/{matched.id}?lang=en"))
    db.session.expire_all()
    assert matched.received_fen == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Match)) == 2
