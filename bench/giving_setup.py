"""The giving-day database: schema, the demo-like office, a live matching pledge whose pool
is smaller than the gifts would match, and N pending donations (``pi_bench_…``), as if N
donors had filled in the form and were paying at Stripe. Then, after the load, the checks
that every gift was booked exactly once.

Setup is not measured. The pending donations are written with one Core ``executemany``
(what ``create_donation`` would leave behind, without its Stripe call), so that 20,000 of
them take seconds.
"""
import random
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from bench.floor_wsgi import floor_metadata

PG_SERVER = "postgresql+psycopg:///postgres?host=/var/run/postgresql"
#: The drive the pledge matches, and two more live drives sharing the load.
MATCHED_DRIVE = "wanren-juan"
EXTRA_DRIVES = (("giving-day-a", ("SF-HN", "SF-ZQ")), ("giving-day-b", ("SF-LJZ", "GOODS-YN")))
#: What donors give, in fen: ¥20–¥500, far from the pledge's minimum, so that the gaming
#: defence's near-minimum rule never holds a match and every match counts against the pool.
GIFT_RANGE = (2_000, 50_000)
#: The pool per gift: ¥50 × N, while the gifts to the matched drive would take about ¥85 × N
#: (a third of the gifts, ¥260 on average, capped at ¥500 a gift): the pool runs dry midway.
POOL_PER_GIFT_FEN = 5_000


class BenchDatabase:
    """A throwaway database: a SQLite file in ``workdir`` or a new PostgreSQL database."""

    def __init__(self, engine_name: str, workdir: str, pg_server: str = PG_SERVER):
        self.engine_name, self.admin, self.name = engine_name, None, None
        if engine_name == "sqlite":
            self.url = f"sqlite:///{workdir}/giving_day.sqlite3"
            return
        self.admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
        self.name = f"wanjia_bench_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.name}" ENCODING \'UTF8\' TEMPLATE template0')
        self.url = sa.make_url(pg_server).set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.admin is None:
            return
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


def bench_app(url: str, **settings):
    """The real app on ``url`` (production-like: no testing flags), for setup, checks and the
    in-process profile; fees are left to reconciliation, as on the benchmark's server."""
    from wsgi import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": uuid.uuid4().hex,
                       "WANJIA_ENV": "production", "BOOK_FEES_AT_SUCCESS": False, **settings})


# -- building -------------------------------------------------------------------------------

def _drives(session) -> list:
    from campaigns import services
    from campaigns.demo import seed_campaigns, seed_funds

    seed_funds(session)
    seed_campaigns(session)
    for slug, funds in EXTRA_DRIVES:
        campaign = services.create_campaign(session, services.CampaignInput(
            slug=slug, title_zh=f"公益日 {slug}", title_en=f"Giving day {slug}",
            designation_funds=funds))
        services.publish_campaign(session, campaign)
    session.flush()
    slugs = [MATCHED_DRIVE] + [slug for slug, _funds in EXTRA_DRIVES]
    return [services.campaign_by_slug(session, slug) for slug in slugs]


def _pledge(session, campaign, pool_fen: int, now: datetime):
    from campaigns.matching import services

    sponsor = services.create_sponsor(session, name="上海星河科技有限公司", display_name_zh="星河科技",
                                      display_name_en="Xinghe Tech")
    pledge = services.create_pledge(session, sponsor, services.PledgeInput(
        campaigns=[campaign], pool_fen=pool_fen, starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30), min_gift_fen=1_000, cap_per_gift_fen=50_000,
        cap_per_donor_day_fen=100_000, priority=10), "bench")
    services.change_pledge_status(session, pledge, "go_live", "bench", now=now)
    return pledge


def _pending_rows(drives, gifts: int, rng: random.Random, now: datetime) -> list[dict]:
    from campaigns.matching.engine import donor_fingerprint_for

    designations = [(d.id, des.id) for d in drives for des in d.designations]
    rows = []
    for n in range(gifts):
        campaign_id, designation_id = designations[n % len(designations)] if n % 3 else \
            (drives[0].id, drives[0].designations[n % len(drives[0].designations)].id)
        email = f"donor{n}@giving-day.example"
        rows.append(dict(
            token=uuid.uuid4().hex, campaign_id=campaign_id, designation_id=designation_id,
            amount_fen=rng.randint(*GIFT_RANGE), fee_cover_fen=0, fee_fen=0, currency="CNY",
            status="pending", refunded_fen=0, channel="online", donor_name="", anonymous=False,
            message="", email=email, collected_by="", client_ip="127.0.0.1",
            donor_fingerprint=donor_fingerprint_for(email), created_at=now,
            stripe_payment_intent=f"pi_bench_{n:07d}"))
    return rows


def build_database(url: str, gifts: int, seed: int = 2026) -> dict:
    """Schema, drives, pledge and ``gifts`` pending donations; returns what the load needs."""
    from core.auth import utcnow
    from core.extensions import db
    from donate.models import Donation

    app, now = bench_app(url), utcnow().replace(microsecond=0)
    with app.app_context():
        db.create_all()
        floor_metadata.create_all(db.engine)
        session = db.session()  # the Session itself, as a script would hold it
        drives = _drives(session)
        pool = gifts * POOL_PER_GIFT_FEN
        pledge = _pledge(session, drives[0], pool, now)
        session.execute(sa.insert(Donation), _pending_rows(drives, gifts, random.Random(seed), now))
        session.commit()
        info = {"pledge_id": pledge.id, "pool_fen": pool, "slugs": [d.slug for d in drives],
                "payment_intents": list(session.scalars(
                    sa.select(Donation.stripe_payment_intent).order_by(Donation.id))),
                "amounts": dict(session.execute(
                    sa.select(Donation.stripe_payment_intent, Donation.amount_fen)).all())}
        db.session.remove()
        db.engine.dispose()
    return info


def booked_count(url: str) -> int:
    """How many of the benchmark's gifts are booked now (polled until all are)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text(
                "SELECT count(*) FROM donations WHERE stripe_payment_intent LIKE 'pi_bench_%' "
                "AND status <> 'pending'"))
    finally:
        engine.dispose()
