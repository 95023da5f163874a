"""A small giving-day run, not timed (the benchmark in bench/ measures): 300 gifts through
the real webhook, half of them already waiting in the inbox as if they arrived while other
batches held the locks, the rest posted by four threads at once, against a matching pool
smaller than the gifts. Afterwards: every gift booked once, receipts gapless, the pool spent
exactly, no event left waiting, and ``ledger verify`` clean — on SQLite and PostgreSQL."""
import random
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from campaigns.matching.models import Match, MatchingPledge
from core.extensions import db
from donate.inbox import store_event, wait_for_booker
from donate.models import Donation, StripeEvent
from ledger.models import JournalEntry
from ledger.verify import verify_ledger
from tests.scale import support
from tests.scale.support import PEAK, post, succeeded

GIFTS, WAITING, THREADS, POOL = 300, 150, 4, 200_000


def _run(app):
    app.config.update(PEAK, WEBHOOK_BATCH=50)
    rng = random.Random(9)
    drive, pledge = support.make_drive_with_pledge(POOL)
    gifts = support.pending_gifts(drive, [rng.randint(500, 3_000) for _ in range(GIFTS)])
    events = [succeeded(g) for g in gifts]
    for payload in events[:WAITING]:
        store_event(db.session, payload)
    db.session.commit()

    def deliver(payload):
        resp = post(app.test_client(), payload)
        return resp.status_code, resp.get_json()["outcome"]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(deliver, events[WAITING:]))
    assert wait_for_booker()  # what the webhooks left to their process's booker
    assert {code for code, _ in answers} == {200}
    assert {outcome for _, outcome in answers} <= {"booked", "queued"}
    return gifts, pledge


def _check(gifts, pledge):
    db.session.expire_all()
    assert support.pending_events() == 0
    outcomes = db.session.scalars(sa.select(StripeEvent.outcome)).all()
    assert outcomes == ["booked"] * GIFTS
    # Batches formed: far fewer transactions than events.
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(StripeEvent.processed_at)))) < GIFTS
    booked = db.session.scalars(sa.select(Donation).order_by(Donation.id)).all()
    assert [g.status for g in booked] == ["succeeded"] * GIFTS
    assert sorted(int(g.receipt_number[-6:]) for g in booked) == list(range(1, GIFTS + 1))
    assert len({g.entry_id for g in booked}) == GIFTS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry).where(
        JournalEntry.idempotency_key.like("stripe:%:succeeded"))) == GIFTS
    pledge = db.session.get(MatchingPledge, pledge.id)
    matched = db.session.scalar(sa.select(sa.func.sum(Match.amount_fen)))
    assert matched == pledge.spent_fen == POOL and pledge.status == "exhausted"
    assert verify_ledger(db.session) == []


def test_300_gifts_through_the_webhook_in_batches(app):
    _check(*_run(app))


def test_300_gifts_through_the_webhook_in_batches_on_postgresql(pg_app):
    _check(*_run(pg_app))
