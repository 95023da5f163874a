"""The Done-when of issue #7: 500 gifts of random amounts arrive at once, through the same code
path as the webhook (``book_donation_succeeded`` on pending donations, one session and one
commit per gift, retried on write conflicts), against pools smaller than their total. The
matched total equals the pool exactly, no match is above its caps, per-donor caps hold and
``ledger verify`` is clean — on SQLite (a file, threads) and on PostgreSQL.

The seed is printed; ``MATCHING_SEED=n`` replays a run.
"""
import os
import random
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from campaigns.matching.models import Match, MatchingPledge
from core.extensions import db
from core.retry import run_in_transaction
from donate.models import Donation
from donate.services import book_donation_succeeded
from ledger import chart
from ledger.balances import account_balance
from ledger.verify import verify_ledger
from tests.matching import support
from tests.matching.support import FUND, T0

GIFTS, THREADS, DONORS = 500, 8, 150


def _book(app, donation_id: int, when) -> None:
    """What the webhook does for one gift; a write conflict is run again, as the inbox does."""
    with app.app_context():
        try:
            run_in_transaction(db.session, lambda: book_donation_succeeded(
                db.session, db.session.get(Donation, donation_id), when=when))
        finally:
            db.session.remove()


def _race(app, pledges_terms: list[dict]) -> list[MatchingPledge]:
    app.config.update(MATCHING_BURST_GIFTS=0, MATCHING_NEAR_MIN_GIFTS=0)
    seed = int(os.environ.get("MATCHING_SEED", random.randrange(1_000_000)))
    print(f"matching concurrency seed: {seed}")
    rng = random.Random(seed)
    drive = support.make_drive(db.session)
    pledges = [support.make_pledge(db.session, drive, **terms) for terms in pledges_terms]
    ids = [support.pending_gift(db.session, drive, rng.randint(100, 20_000),
                                email=f"donor{rng.randrange(DONORS)}@example.org").id
           for _ in range(GIFTS)]
    db.session.commit()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(lambda n: _book(app, ids[n], T0), range(GIFTS)))
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)
                             .where(Donation.status == "succeeded")) == GIFTS
    assert verify_ledger(db.session) == []
    return [db.session.get(MatchingPledge, p.id) for p in pledges]


def _matches(pledge) -> list[Match]:
    return list(db.session.scalars(sa.select(Match).filter_by(pledge_id=pledge.id)))


def _check_caps(pledge, matches) -> None:
    per_donor = defaultdict(int)
    for m in matches:
        assert m.status == "matched" and m.entry_id is not None
        assert m.amount_fen <= pledge.cap_per_gift_fen
        assert m.amount_fen <= m.gift_fen * pledge.ratio_num // pledge.ratio_den
        per_donor[m.donor_fingerprint, m.books_day] += m.amount_fen
    assert max(per_donor.values()) <= pledge.cap_per_donor_day_fen


def _one_pledge(app):
    (pledge,) = _race(app, [dict(pool_fen=300_000, cap_per_gift_fen=8_000, cap_per_donor_day_fen=12_000)])
    matches = _matches(pledge)
    assert sum(m.amount_fen for m in matches) == pledge.spent_fen == 300_000
    assert pledge.status == "exhausted"
    _check_caps(pledge, matches)
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 300_000


def _two_pledges(app):
    first, second = _race(app, [
        dict(priority=1, pool_fen=150_000, cap_per_gift_fen=5_000, cap_per_donor_day_fen=9_000),
        dict(priority=2, pool_fen=200_000, ratio_num=2, ratio_den=1, cap_per_gift_fen=20_000,
             cap_per_donor_day_fen=30_000)])
    by_gift = defaultdict(list)
    for pledge, pool in ((first, 150_000), (second, 200_000)):
        matches = _matches(pledge)
        assert sum(m.amount_fen for m in matches) == pledge.spent_fen == pool
        assert pledge.status == "exhausted"
        _check_caps(pledge, matches)
        for m in matches:
            by_gift[m.donation_id].append(m)
    for parts in by_gift.values():
        # Never more base consumed than the gift: ¥100 on two 1:1 pledges is never ¥130.
        assert sum(m.base_fen for m in parts) <= parts[0].gift_fen
    assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, FUND) == 350_000


def test_500_gifts_at_once_spend_the_pool_exactly_on_sqlite(app):
    _one_pledge(app)


def test_500_gifts_at_once_spend_the_pool_exactly_on_postgresql(pg_app):
    _one_pledge(pg_app)


def test_500_gifts_at_once_on_two_pledges_in_priority_order_on_sqlite(app):
    _two_pledges(app)


def test_500_gifts_at_once_on_two_pledges_in_priority_order_on_postgresql(pg_app):
    _two_pledges(pg_app)
