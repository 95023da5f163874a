"""A quick local probe of the public pages at the peak (issue #9's read side).

    python -m bench.pages_probe seed    --url URL --gifts 20000 [--copies 0]
    python -m bench.pages_probe queries --url URL
    python -m bench.pages_probe load    --url URL [--seconds 5] [--connections 16] [--writes]

``seed`` builds the schema (``create_all``, as the other benches do) with the demo office, a
live matching pledge whose pool outlasts the run, and ``--gifts`` gifts booked through the
real booking service (ledger entry, match, receipt); ``--copies`` adds that many more
succeeded gifts as plain rows copied from the booked ones (no entry, no match), when
booking them all would take too long on a busy machine. ``queries`` counts the SQL statements
and times one warm request of each page in-process. ``load`` serves the app with gunicorn
(2 workers) and points ``wrk`` at a bare "hello" page (the floor) and at each public page in
turn; ``--writes`` keeps a process booking gifts throughout, so the pages are read while the
books are written. It prints requests/s, p99 and the ratio to the floor.

A measuring tool for one engineer's before/after, not the giving-day benchmark
(``bench.giving_day``): it asserts nothing.
"""
import argparse
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DRIVE = "wanren-juan"
PAGES = {"hello": "/_probe/hello", "campaign": f"/c/{DRIVE}", "home": "/",
         "json": f"/api/v1/campaigns/{DRIVE}"}
#: A pool far above what the seeded gifts can use, so matching stays live throughout.
BIG_POOL_FEN = 10_000_000_000
AMOUNTS_FEN = (1_000, 5_000, 10_000, 20_000, 50_000)


def probe_app():
    """The app from the environment plus a bare "hello" route: the floor on the same server."""
    from core.access import PUBLIC
    from wsgi import create_app

    app = create_app()

    def hello():
        return "hello"

    hello.wanjia_roles = frozenset({PUBLIC})
    app.add_url_rule(PAGES["hello"], "probe_hello", hello)
    return app


@contextmanager
def _app_context(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("WANJIA_ENV", "development")
    app = probe_app()
    with app.app_context():
        yield app


def _live_pledge(session):
    from campaigns.matching.demo import seed_matching

    pledge = seed_matching(session)
    pledge.pool_fen = BIG_POOL_FEN
    pledge.cap_per_donor_day_fen = None
    session.flush()


def book_gifts(session, campaign, start: int, count: int) -> None:
    """Book ``count`` gifts from distinct donors on ``campaign``, committing every 200."""
    from donate import services
    from donate.models import Donation

    for n in range(start, start + count):
        donation = Donation(
            campaign=campaign, designation=campaign.designations[n % len(campaign.designations)],
            source_ref=f"probe:{n}", channel="bank_transfer", currency=campaign.currency,
            amount_fen=AMOUNTS_FEN[n % len(AMOUNTS_FEN)], email=f"donor{n}@example.org",
            donor_name=f"Donor {n}")
        session.add(donation)
        session.flush()
        services.book_donation_succeeded(session, donation)
        if n % 200 == 0:
            session.commit()
    session.commit()


def copy_gifts(session, campaign, copies: int) -> None:
    """``copies`` more succeeded gifts from distinct donors, inserted as rows in one go."""
    import sqlalchemy as sa

    from donate.models import Donation, new_token

    booked = session.scalars(sa.select(Donation).where(Donation.campaign_id == campaign.id)
                             .order_by(Donation.id).limit(100)).all()
    rows = [dict(campaign_id=campaign.id, designation_id=g.designation_id, amount_fen=g.amount_fen,
                 currency=g.currency, status=g.status, channel=g.channel, token=new_token(),
                 source_ref=f"probe-copy:{n}", email=f"copy{n}@example.org", donor_name=f"Copy {n}",
                 created_at=g.created_at, succeeded_at=g.succeeded_at)
            for n, g in ((n, booked[n % len(booked)]) for n in range(copies))]
    session.execute(sa.insert(Donation), rows)
    session.commit()


def _drive(session):
    import sqlalchemy as sa

    from campaigns.models import Campaign

    return session.scalar(sa.select(Campaign).filter_by(slug=DRIVE))


def seed(url: str, gifts: int, copies: int) -> None:
    from campaigns.demo import seed_office
    from core.extensions import db

    with _app_context(url):
        db.create_all()
        if _drive(db.session) is None:
            seed_office(db.session)
            _live_pledge(db.session)
            db.session.commit()
        started = time.perf_counter()
        book_gifts(db.session, _drive(db.session), 1, gifts)
        print(f"booked {gifts} gifts in {time.perf_counter() - started:.1f} s")
        if copies:
            copy_gifts(db.session, _drive(db.session), copies)
            print(f"copied {copies} more")


def writer(url: str, start: int) -> None:
    """Book gifts until killed (the writes under the read load)."""
    from core.extensions import db

    with _app_context(url):
        campaign = _drive(db.session)
        while True:
            book_gifts(db.session, campaign, start, 50)
            start += 50


def queries(url: str, rounds: int = 20) -> None:
    import sqlalchemy as sa

    from core.extensions import db

    with _app_context(url) as app:
        client = app.test_client()
        statements = []
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda *args, **kw: statements.append(args[2]))
        for name, path in PAGES.items():
            client.get(path)  # warm
            statements.clear()
            started = time.perf_counter()
            for _ in range(rounds):
                assert client.get(path).status_code == 200, path
            ms = (time.perf_counter() - started) * 1000 / rounds
            print(f"{name:9} {path:34} {len(statements) // rounds:3} queries  {ms:7.2f} ms")


def _wait_for(port: int) -> None:
    """Until gunicorn answers; then each page a few times, so that both workers have
    compiled their templates before anything is timed."""
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{PAGES['hello']}", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        raise SystemExit("gunicorn did not answer")
    for path in PAGES.values():
        for _ in range(4):
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60).read()


def _wrk(port: int, path: str, seconds: int, connections: int) -> tuple[float, str]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1)
    notes = [f"{m.group(1)} {what}" for what, m in (
        ("non-2xx", re.search(r"Non-2xx or 3xx responses: (\d+)", out)),
        ("timeouts", re.search(r"timeout (\d+)", out))) if m and m.group(1) != "0"]
    return rps, p99 + (f" ({', '.join(notes)})" if notes else "")


def load(url: str, seconds: int, connections: int, writes: bool, port: int = 8765) -> None:
    env = {**os.environ, "DATABASE_URL": url, "WANJIA_ENV": "development"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "bench.pages_probe:probe_app()"], cwd=ROOT, env=env)
    writer_proc = None
    try:
        _wait_for(port)
        if writes:
            writer_proc = subprocess.Popen(
                [sys.executable, "-m", "bench.pages_probe", "writer", "--url", url,
                 "--start", str(10_000_000 + int(time.time()) % 1_000_000 * 100)], cwd=ROOT, env=env)
            time.sleep(1)
        floor = None
        for name, path in PAGES.items():
            rps, p99 = _wrk(port, path, seconds, connections)
            floor = floor or rps
            print(f"{name:9} {rps:9.1f} req/s  p99 {p99:>10}  {100 * rps / floor:5.1f}% of hello")
    finally:
        for proc in (writer_proc, server):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=20)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages_probe")
    parser.add_argument("command", choices=("seed", "queries", "load", "writer"))
    parser.add_argument("--url", required=True, help="the database URL (SQLAlchemy form)")
    parser.add_argument("--gifts", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--copies", type=int, default=0)
    parser.add_argument("--writes", action="store_true")
    parser.add_argument("--start", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "seed":
        seed(args.url, args.gifts, args.copies)
    elif args.command == "queries":
        queries(args.url)
    elif args.command == "writer":
        writer(args.url, args.start)
    else:
        load(args.url, args.seconds, args.connections, args.writes)


if __name__ == "__main__":
    main()
