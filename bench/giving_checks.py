"""After the giving-day load: prove that every gift was booked exactly once, that the pool was
spent to the fen, that ``ledger verify`` is clean and that receipt numbers have no gap; and
time the phases of booking a few more gifts in-process (``tools.profile_gift``: parse,
signature, storing the event, ledger post, matching, receipt number, SQL, commit).

The figures here are exact counts, compared by ``tests/bench/test_giving_day_smoke.py``.
"""
import time
from collections import defaultdict

import sqlalchemy as sa

from bench.giving_setup import bench_app
from bench.signing import signed_event

GIFT_KEYS = "stripe:pi_bench_%:succeeded"


def _scalar(session, sql: str, **params) -> int:
    """One whole number (PostgreSQL's ``sum`` is a Decimal: made an int for the JSON)."""
    return int(session.execute(sa.text(sql), params).scalar())


def _receipts_gapless(session) -> bool:
    """Per year, the numbers given are exactly 1…n."""
    numbers = session.execute(sa.text(
        "SELECT receipt_number FROM donations WHERE receipt_number IS NOT NULL")).scalars()
    by_year = defaultdict(list)
    for number in numbers:
        year, _, serial = number.partition("-")
        by_year[year].append(int(serial))
    return all(sorted(serials) == list(range(1, len(serials) + 1)) for serials in by_year.values())


def check_books(url: str, gifts: int, pledge_id: int, pool_fen: int) -> dict:
    """The correctness fields of the JSON: counts, pool, verify, receipts; ``ok`` sums them up."""
    from core.extensions import db
    from ledger.verify import verify_ledger

    app = bench_app(url)
    with app.app_context():
        s = db.session
        out = {
            "gifts": gifts,
            "succeeded": _scalar(s, "SELECT count(*) FROM donations WHERE status = 'succeeded' "
                                    "AND stripe_payment_intent LIKE 'pi_bench_%'"),
            "gift_entries": _scalar(s, "SELECT count(*) FROM journal_entries WHERE idempotency_key "
                                       "LIKE :k", k=GIFT_KEYS),
            "duplicate_keys": _scalar(s, "SELECT count(*) FROM (SELECT idempotency_key FROM "
                                         "journal_entries GROUP BY idempotency_key "
                                         "HAVING count(*) > 1) AS d"),
            "events_stored": _scalar(s, "SELECT count(*) FROM stripe_events"),
            "events_booked": _scalar(s, "SELECT count(*) FROM stripe_events WHERE outcome = 'booked'"),
            "pool_fen": pool_fen,
            "pool_spent_fen": _scalar(s, "SELECT spent_fen FROM matching_pledges WHERE id = :p", p=pledge_id),
            "matched_fen": _scalar(s, "SELECT coalesce(sum(amount_fen), 0) FROM matches "
                                      "WHERE pledge_id = :p AND status = 'matched'", p=pledge_id),
            "receipts": _scalar(s, "SELECT count(receipt_number) FROM donations"),
            "receipts_gapless": _receipts_gapless(s),
        }
        start = time.perf_counter()
        problems = verify_ledger(s)
        out.update(verify_problems=len(problems), verify_first=problems[:3],
                   verify_s=round(time.perf_counter() - start, 2))
        s.remove()
        db.engine.dispose()
    out["ok"] = (out["succeeded"] == out["gift_entries"] == out["events_booked"] == gifts
                 and out["duplicate_keys"] == 0 and out["receipts"] == gifts
                 and out["pool_spent_fen"] == out["matched_fen"] == pool_fen
                 and out["verify_problems"] == 0 and out["receipts_gapless"])
    return out


# -- one gift, in phases ----------------------------------------------------------------------

def profile_gifts(url: str, payment_intents: list[str], amounts: dict, secret: str) -> dict:
    """Book ``payment_intents`` (pending) in-process through the webhook's own code, timed by
    phase with ``tools.profile_gift``: the first alone, the rest as one inbox batch."""
    from tools.profile_gift import profile_gifts as profile

    app = bench_app(url, STRIPE_WEBHOOK_SECRET=secret)
    bodies = [signed_event(pi, amounts[pi], secret, event_id=f"evt_profile_{pi[3:]}")
              for pi in payment_intents]
    result = profile(app, bodies, batch=max(1, len(bodies) - 1))
    result["gifts"] = len(bodies)
    with app.app_context():
        from core.extensions import db

        db.engine.dispose()
    return result
