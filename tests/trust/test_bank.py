"""The bank test (issue #10), on PostgreSQL: 16 threads run a random mix of operations
(``bank_ops.OPERATIONS``) in rounds; between rounds, and at the end, every invariant is
checked. ``WANJIA_BANK_OPS`` sets the number of operations (CI: 160; ``make soak``: 5,000);
``WANJIA_BANK_SEED`` replays a run. The seed and a summary are printed (``pytest -s``)."""
import os
import random
import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from core.extensions import db
from donate.inbox import wait_for_booker
from tests.conftest import _make_app
from tests.trust.bank import SECRET, Processor, Run, prepare_world
from tests.trust.bank_ops import OPERATIONS
from tests.trust.conftest import seed_demo

THREADS = 16
ROUNDS = 4


def check_ledger(run) -> list[str]:
    from ledger.verify import verify_ledger

    return [f"ledger: {p}" for p in verify_ledger(db.session)]


def check_clearing(run) -> list[str]:
    """The books' processor clearing equals what the processor says it owes us."""
    from ledger import chart
    from ledger.balances import account_balance

    books = account_balance(db.session, chart.PROCESSOR_CLEARING) - run.clearing_at_start
    owed = run.processor.balance()
    return [] if books == owed else [f"processor clearing {books} != processor balance {owed}"
                                     ] + gifts_that_differ(run)


def gifts_that_differ(run) -> list[str]:
    """Per PaymentIntent, where the books and the processor part (to say which gift)."""
    from donate.models import Donation, DonationDispute

    out = []
    for pi, it in sorted(run.processor.intents.items()):
        gift = db.session.scalar(sa.select(Donation).filter_by(stripe_payment_intent=pi))
        held = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(DonationDispute.amount_fen), 0))
                                 .where(DonationDispute.donation_id == gift.id,
                                        DonationDispute.status.in_(("open", "lost"))))
        books = (gift.amount_fen - gift.refunded_fen - held) if gift.entry_id else 0
        owed = it["amount"] - it["refunded"] - it["disputed"]
        if books != owed:
            out.append(f"{pi}: books {books} ({gift.status}, refunded {gift.refunded_fen}, "
                       f"disputes {held}), processor {owed} ({it})")
    return out


def check_wishes(run) -> list[str]:
    from campaigns.wishes import state
    from campaigns.wishes.models import Wish, WishReservation

    funded = (sa.select(WishReservation.wish_id).join(Wish, Wish.id == WishReservation.wish_id)
              .where(WishReservation.status == state.RES_FUNDED).group_by(WishReservation.wish_id))
    twice = db.session.scalars(funded.where(Wish.pooled.is_(False)).having(sa.func.count() > 1)).all()
    # A pooled wish (拼好愿) is funded in parts by several donors: never beyond its price.
    over = db.session.scalars(funded.where(Wish.pooled.is_(True)).having(
        sa.func.sum(WishReservation.amount_fen) > sa.func.max(Wish.price_fen))).all()
    return [f"wish {w} funded twice" for w in twice] + [f"pooled wish {w} over-funded" for w in over]


def check_packs(run) -> list[str]:
    from campaigns.homes.models import Distribution
    from ledger.models import JournalEntry

    twice = db.session.execute(
        sa.select(Distribution.campaign_id, Distribution.household_id)
        .group_by(Distribution.campaign_id, Distribution.household_id)
        .having(sa.func.count() > 1)).all()
    delivered = db.session.scalar(sa.select(sa.func.count()).select_from(Distribution)
                                  .where(Distribution.delivered_on.is_not(None)))
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)
                                .where(JournalEntry.idempotency_key.like("delivery:%")))
    problems = [f"household {h} got two packs in drive {c}" for c, h in twice]
    return problems + ([] if delivered == entries else [f"{delivered} deliveries, {entries} entries"])


def check_receipts(run) -> list[str]:
    from donate.models import Donation

    numbers = db.session.scalars(sa.select(Donation.receipt_number)
                                 .where(Donation.receipt_number.is_not(None))).all()
    by_year = defaultdict(list)
    for number in numbers:
        year, seq = re.fullmatch(r"(\d{4})-(\d+)", number).groups()
        by_year[year].append(int(seq))
    return [f"receipts of {year}: not 1..{len(seqs)} once each" for year, seqs in by_year.items()
            if sorted(seqs) != list(range(1, len(seqs) + 1))]


def check_half_written(run) -> list[str]:
    from donate import state
    from donate.models import Donation
    from ledger.models import JournalEntry

    unbooked = db.session.scalars(sa.select(Donation.id).where(
        Donation.status.in_(state.BOOKED_STATUSES), Donation.entry_id.is_(None))).all()
    keys = db.session.scalars(sa.select(JournalEntry.idempotency_key).where(
        JournalEntry.idempotency_key.like("stripe:pi_bank%:succeeded"))).all()
    pis = set(db.session.scalars(sa.select(Donation.stripe_payment_intent).where(
        Donation.status.in_(state.BOOKED_STATUSES))))
    orphans = [k for k in keys if k.split(":")[1] not in pis]
    return [f"donation {d} booked without its entry" for d in unbooked] + [
        f"entry {k} without its booked donation" for k in orphans]


def check_pools(run) -> list[str]:
    """No pledge's pool over-spent, and what it has spent is what its live matches hold."""
    from campaigns.matching.engine import IN_USE
    from campaigns.matching.models import Match, MatchingPledge

    live = dict(db.session.execute(
        sa.select(Match.pledge_id, sa.func.sum(Match.amount_fen - Match.reversed_fen))
        .where(Match.status.in_(IN_USE)).group_by(Match.pledge_id)).all())
    out = []
    for pledge in db.session.scalars(sa.select(MatchingPledge).order_by(MatchingPledge.id)):
        if pledge.spent_fen > pledge.pool_fen:
            out.append(f"pledge {pledge.id} over-spent: {pledge.spent_fen} > {pledge.pool_fen}")
        if pledge.spent_fen != int(live.get(pledge.id) or 0):
            out.append(f"pledge {pledge.id} spent {pledge.spent_fen}, live matches {live.get(pledge.id)}")
    return out


def check_shortfalls(run) -> list[str]:
    """Each refund of money a sub-fund had spent was covered once, by an entry naming the
    gift, and the general fund's interfund balance moved by exactly the covers."""
    from donate.shortfall import RefundShortfall
    from ledger import chart
    from ledger.balances import account_balance
    from ledger.models import JournalEntry

    out, total = [], 0
    for cover in db.session.scalars(sa.select(RefundShortfall)):
        entry = db.session.get(JournalEntry, cover.entry_id)
        total += cover.amount_fen
        if f"of gift #{cover.donation_id}:" not in entry.memo:
            out.append(f"shortfall {cover.id}: entry {entry.id} does not name its gift")
    moved = run.interfund_at_start - account_balance(db.session, chart.INTERFUND, chart.GENERAL_FUND)
    return out + ([] if moved == total else [f"general fund moved {moved}, covers say {total}"])


CHECKS = (check_ledger, check_clearing, check_wishes, check_packs, check_receipts,
          check_half_written, check_pools, check_shortfalls)


def checkpoint(run) -> None:
    # Webhooks that found another batch running left their gift to their process's booker:
    # the books are checked once it has booked them (a quiet moment, as at a real checkpoint).
    assert wait_for_booker(60), "the inbox booker did not finish"
    with run.app.app_context():
        for check in CHECKS:
            run.violations.extend(check(run))
            run.checks += 1
        db.session.remove()


def worker(run, seed: int, count: int) -> None:
    rng = random.Random(seed)
    client = run.app.test_client()
    names = list(OPERATIONS)
    weights = [OPERATIONS[n][1] for n in names]
    for _i in range(count):
        name = rng.choices(names, weights)[0]
        run.perform(name, OPERATIONS[name][0], rng, client)


def money_moved() -> str:
    """Matches made and pools left, disbursements paid, refund shortfalls covered."""
    from campaigns.homes.models import Disbursement
    from campaigns.matching.models import Match, MatchingPledge
    from donate.shortfall import RefundShortfall

    def total(model, *where):
        return db.session.execute(sa.select(sa.func.count(), sa.func.coalesce(
            sa.func.sum(model.amount_fen), 0)).where(*where)).one()

    matches, disbursed, covers = (total(Match), total(Disbursement, Disbursement.entry_id.is_not(None)),
                                  total(RefundShortfall))
    pools = [(p.id, p.status, p.spent_fen, p.pool_fen) for p in db.session.scalars(
        sa.select(MatchingPledge).order_by(MatchingPledge.id))]
    return (f"{matches[0]} matches ({matches[1]} fen), pools (id, status, spent, pool) {pools}; "
            f"{disbursed[0]} disbursements paid ({disbursed[1]} fen); "
            f"{covers[0]} refunds of spent money covered by the general fund ({covers[1]} fen)")


@pytest.fixture
def bank_app(pg_server, monkeypatch):
    """The demo office on PostgreSQL, a pool for 16 threads, the processor as Stripe."""
    pg_server.truncate()
    app = _make_app(pg_server.url, RATELIMIT_ENABLED=False, STRIPE_WEBHOOK_SECRET=SECRET,
                    SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 4, "max_overflow": 4})
    processor = Processor()
    monkeypatch.setattr("donate.giving.gateway", lambda: processor)
    with app.app_context():
        seed_demo(app)
        db.session.remove()
    prepare_world(app)
    yield app, processor
    with app.app_context():
        db.engine.dispose()


def test_bank(bank_app):
    from ledger import chart
    from ledger.balances import account_balance

    app, processor = bank_app
    seed = int(os.environ.get("WANJIA_BANK_SEED") or random.randrange(2**32))
    total = int(os.environ.get("WANJIA_BANK_OPS", "160"))
    print(f"\nbank test: seed {seed}, {total} operations, {THREADS} threads (WANJIA_BANK_SEED={seed} replays the mix)")
    run = Run(app, processor, seed)
    with app.app_context():
        run.clearing_at_start = account_balance(db.session, chart.PROCESSOR_CLEARING)
        run.interfund_at_start = account_balance(db.session, chart.INTERFUND, chart.GENERAL_FUND)
        db.session.remove()
    master = random.Random(seed)
    per_thread = max(1, total // (THREADS * ROUNDS))
    for _round in range(ROUNDS):
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda s: worker(run, s, per_thread),
                          [master.randrange(2**32) for _t in range(THREADS)]))
        checkpoint(run)
    print(f"bank test: {sum(run.ops.values())} operations, {sum(run.refused_ops.values())} refused:")
    print("\n".join(run.summary()))
    print(f"bank test: {sum(run.faults.values())} faults injected {dict(run.faults)}")
    print(f"bank test: refusals {dict(run.refusals)}")
    print(f"bank test: also {dict(run.made)}")
    with app.app_context():
        print(f"bank test: {money_moved()}")
        db.session.remove()
    print(f"bank test: {run.checks} invariant checks, {len(run.violations)} violations")
    assert run.violations == []
    assert sum(run.ops.values()) == per_thread * THREADS * ROUNDS
