"""A refund (or a lost dispute) of money a restricted fund has already spent (issue #10).

A donor's ¥100 went to the Lujiazui street's sub-fund; the fund spent ¥70 of it on goods;
then Stripe refunds the charge (a refund made in Stripe's dashboard) or the card holder wins
a dispute. The money has left either way, so the books take it: the refund is booked in full
against the sub-fund, which pays the ¥30 it still holds, and the general fund covers the
¥70 by an interfund transfer whose memo names the gift. The webhook answers 2xx, a replay
changes nothing, the ledger verifies clean, and finance is asked to acknowledge the cover
before the month closes."""
from datetime import date

import pytest
import sqlalchemy as sa

from core.extensions import db
from donate.models import Donation, DonationRefund, StripeEvent
from donate.shortfall import RefundShortfall
from ledger import chart
from ledger.balances import fund_balances, fund_net_assets
from ledger.models import JournalEntry
from ledger.posting import EntryDraft, Line, post_entry
from ledger.verify import verify_ledger
from tests.donate.conftest import drive, funds, make_drive, webhook_secret  # noqa: F401
from tests.donate.giving_support import count, event, make_paid_donation, post_event

#: After the refund of ¥100 of which the fund had spent ¥70 (account → balance, zeros left
#: out): the sub-fund's gift income is gone, its ¥70 of goods stays spent, paid for by ¥70
#: that the general fund moved in (unrestricted → restricted net assets, through interfund).
SUBFUND_AFTER = {chart.PROCESSOR_CLEARING: -7_000, chart.INTERFUND: 7_000,
                 chart.NET_ASSETS_RESTRICTED: -7_000, chart.PROGRAM_EXPENSE: 7_000}
GENERAL_AFTER = {chart.INTERFUND: -7_000, chart.NET_ASSETS_UNRESTRICTED: 7_000}


@pytest.fixture
def spent_gift(client, drive, gateway, webhook_secret):
    """A ¥100 gift to SF-LJZ, booked by its webhook, of which the fund then spent ¥70."""
    donation, pi = make_paid_donation(gateway, drive, amount_fen=10_000, fund="SF-LJZ")
    resp = post_event(client, event("evt_paid", "payment_intent.succeeded", pi))
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "booked"
    post_entry(db.session, EntryDraft(
        date=date.today(), memo="Rice and oil for Lujiazui", idempotency_key="test:spend-70",
        lines=(Line(chart.PROGRAM_EXPENSE, "SF-LJZ", 7_000),
               Line(chart.PROCESSOR_CLEARING, "SF-LJZ", -7_000))))
    db.session.commit()
    assert fund_net_assets(db.session, "SF-LJZ") == 3_000
    return donation, pi


def _refund_event(pi, refund_id: str, amount: int, total: int, n: int) -> dict:
    charge = {"id": pi["latest_charge"], "object": "charge", "payment_intent": pi["id"],
              "amount": pi["amount"], "amount_refunded": total,
              "refunds": {"object": "list", "data": [{"id": refund_id, "amount": amount}]}}
    return event(f"evt_refund_{n}", "charge.refunded", charge)


def _books() -> dict:
    """Every fund's balances, the entry count and the chain head: what a replay must not move."""
    db.session.expire_all()
    return {"SF-LJZ": fund_balances(db.session, "SF-LJZ"), "GEN": fund_balances(db.session, "GEN"),
            "entries": count(JournalEntry), "shortfalls": count(RefundShortfall)}


def _assert_whole() -> None:
    """Each fund balances on its own, and the ledger verifies clean."""
    for fund in ("SF-LJZ", "GEN", "GOODS-YN"):
        assert sum(fund_balances(db.session, fund).values()) == 0, fund
    assert verify_ledger(db.session) == []


def test_a_stripe_refund_of_spent_money_is_covered_by_the_general_fund(client, spent_gift, gateway):
    donation, pi = spent_gift
    refund = gateway.create_refund(pi["id"], 10_000)
    payload = _refund_event(pi, refund["id"], 10_000, 10_000, 1)
    resp = post_event(client, payload)
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "refunded"

    books = _books()
    assert books["SF-LJZ"] == SUBFUND_AFTER and books["GEN"] == GENERAL_AFTER
    assert fund_net_assets(db.session, "SF-LJZ") == 0
    assert fund_net_assets(db.session, "GEN") == -7_000
    _assert_whole()
    gift = db.session.get(Donation, donation.id)
    assert (gift.status, gift.refunded_fen) == ("refunded", 10_000)
    cover = db.session.scalar(sa.select(RefundShortfall))
    assert (cover.kind, cover.stripe_ref, cover.fund_code, cover.amount_fen, cover.currency) == (
        "refund", refund["id"], "SF-LJZ", 7_000, "CNY")
    transfer = db.session.get(JournalEntry, cover.entry_id)
    assert transfer.memo == (f"General fund covers 70.00 CNY of refund {refund['id']} of gift "
                             f"#{donation.id}: fund SF-LJZ had spent it")
    # The refund itself is one entry of the full ¥100 against the sub-fund, after the transfer.
    booked = db.session.scalar(sa.select(DonationRefund))
    refund_entry = db.session.get(JournalEntry, booked.entry_id)
    assert booked.amount_fen == 10_000 and refund_entry.id == transfer.id + 1
    assert sorted((p.account.code, p.fund.code, p.amount) for p in refund_entry.postings) == [
        (chart.PROCESSOR_CLEARING, "SF-LJZ", -10_000), (chart.DONATION_INCOME, "SF-LJZ", 10_000)]

    # Stripe sends the event again, and again as a new event: nothing moves.
    assert post_event(client, payload).get_json()["outcome"] == "duplicate"
    again = post_event(client, {**payload, "id": "evt_refund_resent"})
    assert again.status_code == 200 and again.get_json()["outcome"] == "refunded"
    assert _books() == books and count(DonationRefund) == 1 and count(StripeEvent) == 3


def test_partial_refunds_use_the_fund_first_and_the_general_fund_for_the_rest(client, spent_gift,
                                                                             gateway):
    _donation, pi = spent_gift
    first = gateway.create_refund(pi["id"], 2_000)
    assert post_event(client, _refund_event(pi, first["id"], 2_000, 2_000, 1)).status_code == 200
    assert count(RefundShortfall) == 0 and fund_net_assets(db.session, "SF-LJZ") == 1_000
    second = gateway.create_refund(pi["id"], 8_000)
    assert post_event(client, _refund_event(pi, second["id"], 8_000, 10_000, 2)).status_code == 200
    cover = db.session.scalar(sa.select(RefundShortfall))
    assert (cover.stripe_ref, cover.amount_fen) == (second["id"], 7_000)
    assert _books()["SF-LJZ"] == SUBFUND_AFTER
    _assert_whole()


def test_a_lost_dispute_of_spent_money_is_covered_the_same_way(client, spent_gift):
    donation, pi = spent_gift
    dispute = {"id": "dp_spent", "object": "dispute", "amount": 10_000,
               "charge": pi["latest_charge"], "payment_intent": pi["id"], "status": "needs_response"}
    assert post_event(client, event("evt_dp_open", "charge.dispute.created", dispute)).status_code == 200
    assert count(RefundShortfall) == 0  # held, not yet lost: the fund still holds ¥30
    lost = event("evt_dp_lost", "charge.dispute.closed", {**dispute, "status": "lost"})
    resp = post_event(client, lost)
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "dispute_lost"
    books = _books()
    assert books["SF-LJZ"] == SUBFUND_AFTER and books["GEN"] == GENERAL_AFTER
    cover = db.session.scalar(sa.select(RefundShortfall))
    assert (cover.kind, cover.stripe_ref, cover.amount_fen) == ("dispute", "dp_spent", 7_000)
    assert f"of gift #{donation.id}" in db.session.get(JournalEntry, cover.entry_id).memo
    assert db.session.get(Donation, donation.id).status == "lost"
    _assert_whole()
    assert post_event(client, lost).get_json()["outcome"] == "duplicate"
    assert _books() == books


def test_finance_must_acknowledge_the_cover_before_the_month_closes(client, spent_gift, gateway,
                                                                   login):
    _donation, pi = spent_gift
    refund = gateway.create_refund(pi["id"], 10_000)
    post_event(client, _refund_event(pi, refund["id"], 10_000, 10_000, 1))
    month = date.today().strftime("%Y-%m")
    login("finance")

    def check_row() -> str:
        html = client.get(f"/finance/close/{month}?lang=en").get_data(as_text=True)
        return html.split('data-check="refund_shortfalls"', 1)[1].split("</tr>", 1)[0]

    row = check_row()
    assert 'data-ok="no"' in row
    assert ("Refunds of money a restricted fund had spent, covered by the general fund and not "
            "yet acknowledged: 1 (CN¥70.00 in all).") in row
    page = client.get("/finance/refund-shortfalls/?lang=en").get_data(as_text=True)
    cover = db.session.scalar(sa.select(RefundShortfall))
    assert f'data-shortfall="{cover.id}" data-acknowledged="no"' in page and refund["id"] in page
    resp = client.post(f"/finance/refund-shortfalls/{cover.id}/acknowledge")
    assert resp.status_code == 303
    db.session.expire_all()
    cover = db.session.get(RefundShortfall, cover.id)
    assert cover.acknowledged_by.startswith("finance") and cover.acknowledged_at is not None
    assert 'data-ok="yes"' in check_row()


def test_a_refund_started_in_wanjia_is_still_refused_before_stripe_is_asked(client, spent_gift,
                                                                           login):
    donation, _pi = spent_gift
    login("finance")
    resp = client.post(f"/finance/donations/{donation.id}/refund?lang=en",
                       data={"amount": "100", "reason": "donor asked"})
    assert resp.status_code == 409 and "has already spent this money" in resp.get_data(as_text=True)
    assert count(RefundShortfall) == 0 and count(DonationRefund) == 0


def test_a_refund_of_a_matched_gift_covers_the_drive_fund_that_spent_the_match(app):
    """¥100 to SF-LJZ matched 1:1 into the drive's fund, which spends ¥80 of the ¥100 its
    sponsor owes; Stripe refunds the gift: the match is reversed too, and the general fund
    covers the ¥80 the drive's fund no longer holds. The sub-fund still holds the gift."""
    from datetime import timedelta

    from core.auth import utcnow
    from donate import services
    from tests.matching import support

    now = utcnow().replace(microsecond=0)
    matched_drive = support.make_drive(db.session)
    support.make_pledge(db.session, matched_drive, starts_at=now - timedelta(days=2),
                        ends_at=now + timedelta(days=30))
    gift = support.give(db.session, matched_drive, 10_000, at=now - timedelta(hours=1), fund="SF-LJZ")
    post_entry(db.session, EntryDraft(
        date=date.today(), memo="Winter coats", idempotency_key="test:drive-spends-80",
        lines=(Line(chart.PROGRAM_EXPENSE, support.FUND, 8_000), Line(chart.BANK, support.FUND, -8_000))))
    db.session.commit()
    assert fund_net_assets(db.session, support.FUND) == 2_000

    services.book_refund(db.session, gift, "re_matched", 10_000)
    db.session.commit()
    cover = db.session.scalar(sa.select(RefundShortfall))
    assert (cover.fund_code, cover.amount_fen, cover.kind) == (support.FUND, 8_000, "refund")
    assert db.session.get(JournalEntry, cover.entry_id).memo == (
        f"General fund covers 80.00 CNY of the match reversal of refund re_matched of gift "
        f"#{gift.id}: fund {support.FUND} had spent it")
    assert fund_net_assets(db.session, support.FUND) == 0
    assert fund_net_assets(db.session, "SF-LJZ") == 0 and fund_net_assets(db.session, "GEN") == -8_000
    assert count(RefundShortfall) == 1 and verify_ledger(db.session) == []
