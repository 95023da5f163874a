"""Fetching Stripe's balance transactions and payouts through the API.

Paginated and resumable: each page's last id is kept on the :class:`StripeFetch` of the
range, so a fetch interrupted by an error continues after the last page it stored. Lines are
stored once by id, so fetching the same range again changes nothing.

Only automatic payouts are read: Stripe cannot say which balance transactions a manual
payout carried (localstripe's payouts are all manual, so its tests cover lines only).
"""
from datetime import date, timezone

import sqlalchemy as sa

from donate.services import from_unix
from finance.stripe_models import StripeBalanceLine, StripeFetch
from finance.stripe_recon import CHARGES, ReconcileResult, reconcile_stripe, store_lines, store_payout
from ledger.periods import utc_bounds


def fetch_stripe_activity(session, gateway, start: date, end: date, commit=None,
                          page_size: int = 100) -> ReconcileResult:
    """Store the balance lines created in the books' days ``start``..``end`` and the automatic
    payouts paid in them, then reconcile. ``commit`` (a CLI's) runs after every page; the
    gateway's GatewayError propagates with the pages read so far flushed and resumable."""
    low, high = (int(t.replace(tzinfo=timezone.utc).timestamp()) for t in utc_bounds(start, end))
    fetch = session.scalar(sa.select(StripeFetch).filter_by(created_gte=low, created_lt=high))
    if fetch is None:
        fetch = StripeFetch(created_gte=low, created_lt=high)
        session.add(fetch)
    elif fetch.done:  # a fresh pass from the newest: lines may have appeared since
        fetch.cursor, fetch.done = "", False
    result = ReconcileResult()
    while True:
        items, has_more, last = gateway.list_balance_transactions(
            low, high, starting_after=fetch.cursor or None, limit=page_size)
        new, seen = _store_api_lines(session, gateway, items)
        result.new, result.seen = result.new + new, result.seen + seen
        fetch.cursor, fetch.lines_seen = last or fetch.cursor, fetch.lines_seen + len(items)
        session.flush()
        if commit:
            commit()
        if not has_more:
            break
    fetch.cursor, fetch.done = "", True
    _fetch_payouts(session, gateway, low, high)
    return reconcile_stripe(session, result)


def _store_api_lines(session, gateway, items: list[dict], payout_id: str = "") -> tuple[int, int]:
    ids = [t["id"] for t in items]
    known = set(session.scalars(sa.select(StripeBalanceLine.balance_transaction_id)
                                .where(StripeBalanceLine.balance_transaction_id.in_(ids)))) if ids else set()
    rows = [api_line_fields(gateway, t, payout_id) for t in items if t["id"] not in known]
    store_lines(session, rows, "api")
    if payout_id and known:
        session.execute(sa.update(StripeBalanceLine)
                        .where(StripeBalanceLine.balance_transaction_id.in_(known),
                               StripeBalanceLine.payout_id == "")
                        .values(payout_id=payout_id))
    return len(rows), len(known)


def api_line_fields(gateway, txn: dict, payout_id: str = "") -> dict:
    """A BalanceTransaction from the API as the columns of :class:`StripeBalanceLine`."""
    source = txn.get("source") or ""
    if isinstance(source, dict):
        source = source.get("id", "")
    category = txn.get("reporting_category") or txn.get("type") or ""
    pi = gateway.source_payment_intent(source) if category in (*CHARGES, "refund") else ""
    return {
        "balance_transaction_id": txn["id"], "created_utc": from_unix(txn["created"]),
        "available_on_utc": from_unix(txn.get("available_on")),
        "currency": str(txn["currency"]).upper(), "gross_fen": int(txn["amount"]),
        "fee_fen": int(txn.get("fee") or 0), "net_fen": int(txn["net"]),
        "reporting_category": category, "source_id": source,
        "description": str(txn.get("description") or "")[:500], "payment_intent_id": pi,
        "charge_id": source if source.startswith(("ch_", "py_")) else "", "payout_id": payout_id,
    }


def _fetch_payouts(session, gateway, low: int, high: int) -> None:
    after = None
    while True:
        payouts, has_more, after = gateway.list_payouts(low, high, starting_after=after)
        for payout in payouts:
            if payout.get("automatic") and payout.get("status") == "paid":
                store_payout(session, payout["id"], int(payout["amount"]),
                             str(payout["currency"]).upper(), from_unix(payout["arrival_date"]))
                _fetch_payout_lines(session, gateway, payout["id"])
        if not has_more:
            return


def _fetch_payout_lines(session, gateway, payout_id: str) -> None:
    after = None
    while True:
        items, has_more, after = gateway.list_balance_transactions(starting_after=after,
                                                                   payout=payout_id)
        _store_api_lines(session, gateway, [t for t in items if t.get("type") != "payout"],
                         payout_id)
        if not has_more:
            return
