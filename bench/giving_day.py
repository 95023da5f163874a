"""The giving-day benchmark (issue #9): N signed ``payment_intent.succeeded`` webhooks against
the app under gunicorn, with readers on the public pages at the same time, then proof that
every gift was booked exactly once.

    python -m bench.giving_day --gifts 20000 [--engine sqlite|postgresql|all]

Per engine, on a fresh database (a SQLite file, or a throwaway PostgreSQL database), with N
pending donations over three live drives and a live matching pledge smaller than the gifts
would match, one gunicorn (``bench.floor_wsgi``: the real app plus two bare routes):

1. floors: the bare hello page, then the bare one-row write, ``--concurrency`` users each;
2. the peak: the N webhooks from ``--concurrency`` users while ``--readers`` users each load
   the campaign page, the home page, the progress JSON and the bare hello page (served by a
   second gunicorn of their own with ``--page-workers``);
3. the books: succeeded = gift entries = N, no duplicate key, pool spent to the fen,
   ``verify_ledger`` clean, receipt numbers gapless (``bench.giving_checks``);
4. ``--profile-gifts`` more gifts in phases, in-process (``tools.profile_gift``: the first
   alone, the rest as one inbox batch).

Then, on PostgreSQL, the webhook load alone with 1 and with ``--workers`` workers
(``--scaling-gifts`` each), to show whether a second worker adds throughput.
"""
import argparse
import contextlib
import json
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from bench import giving_checks, giving_report
from bench.giving_server import Gunicorn, database_cpu_seconds, run_locust, summarise
from bench.giving_setup import MATCHED_DRIVE, PG_SERVER, BenchDatabase, build_database

READER_CLASSES = ["CampaignReader", "HomeReader", "ProgressReader", "HelloReader"]
WEBHOOK_SECRET = "whsec_giving_day_bench"


class BookedWatcher(threading.Thread):
    """Polls the database until ``gifts`` gifts are booked; ``done_at`` is when it saw them."""

    def __init__(self, url: str, gifts: int, interval: float = 0.25):
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.gifts, self.interval, self.done_at, self.stop = gifts, interval, None, threading.Event()

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM donations WHERE status <> 'pending' "
                                       "AND stripe_payment_intent LIKE 'pi_bench_%'"))

    def run(self):
        while not self.stop.is_set():
            if self.count() >= self.gifts:
                self.done_at = time.time()
                return
            time.sleep(self.interval)

    def finish(self, stall: float = 30.0) -> float | None:
        """Wait while gifts are still being booked (the webhooks answer before their batch
        does); give up when the count has not moved for ``stall`` seconds."""
        last, since = -1, time.monotonic()
        while self.is_alive() and time.monotonic() - since < stall:
            now = self.count()
            if now != last:
                last, since = now, time.monotonic()
            self.join(1.0)
        self.stop.set()
        self.join()
        self.engine.dispose()
        return self.done_at


def _webhook_load(server, db_name, url, intents, opts, workdir, readers=0, page_server=None) -> dict:
    """The N webhooks (and readers when ``readers``, on ``page_server`` if there is one);
    gifts/s from the first event sent until the database shows every gift booked; CPU of the
    servers, the database and the generator."""
    servers = [s for s in (server, page_server) if s is not None]
    cpu0, db0 = sum(s.cpu_seconds() for s in servers), database_cpu_seconds(db_name)
    watcher = BookedWatcher(url, len(intents))
    watcher.start()
    classes = ["WebhookUser"] + (READER_CLASSES if readers else [])
    data = {"intents": intents, "secret": WEBHOOK_SECRET, "slug": MATCHED_DRIVE,
            "page_host": page_server.host if page_server else None}
    raw = run_locust(server.host, classes, opts["concurrency"], data, workdir, readers=readers)
    done_at = watcher.finish()
    samples = raw["requests"].get("webhook", [])
    first = min((s[0] for s in samples), default=time.time())
    out = {"webhook": summarise(samples), "retries": raw["retries"], "lost": raw["lost"],
           "errors": raw["errors"], "statuses": raw["statuses"],
           "all_booked": done_at is not None,
           "seconds": round((done_at or time.time()) - first, 2),
           "generator_cpu_s": raw["generator_cpu_s"],
           "server_cpu_s": round(sum(s.cpu_seconds() for s in servers) - cpu0, 2),
           "database_cpu_s": round(database_cpu_seconds(db_name) - db0, 2)}
    out["gifts_per_s"] = round(len(intents) / out["seconds"], 1) if done_at else 0.0
    out["server_cpu_ms_per_gift"] = round(1000 * out["server_cpu_s"] / len(intents), 2)
    out["database_cpu_ms_per_gift"] = round(1000 * out["database_cpu_s"] / len(intents), 2)
    out["readers"] = {name: summarise(raw["requests"].get(name, []))
                      for name in ("campaign_page", "home_page", "progress_json", "hello_floor")
                      } if readers else {}
    return out


def _floor(server, user_class: str, name: str, opts, workdir, requests: int) -> dict:
    data = {"floor_requests": requests, "secret": WEBHOOK_SECRET}
    raw = run_locust(server.host, [user_class], opts["concurrency"], data, workdir)
    return summarise(raw["requests"].get(name, []))


def _fresh(engine_name: str, workdir: str, pg_server: str):
    """A new database, or the reason there is none (PostgreSQL not running)."""
    try:
        return BenchDatabase(engine_name, workdir, pg_server), None
    except sa.exc.OperationalError as err:
        return None, f"no PostgreSQL server at {pg_server}: {str(err).splitlines()[0]}"


class Stages:
    """Wall seconds of each stage of a run (setup, server start, floors, load, checks, …)."""

    def __init__(self):
        self.seconds, self._last = {}, time.perf_counter()

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 1)
        self._last = now


def _measure(server, database, intents, opts, tmp: Path, stages: Stages) -> dict:
    floor_n = opts["floor_requests"] or max(100, min(len(intents) // 10, 2000))
    stages.done("server start")
    out = {"workers": opts["workers"], "gifts": len(intents),
           "floor_hello": _floor(server, "HelloFloor", "floor_hello", opts, tmp, floor_n),
           "floor_write": _floor(server, "WriteFloor", "floor_write", opts, tmp, floor_n)}
    stages.done("floors")
    pages = (Gunicorn(database.url, opts["page_workers"], opts["worker_class"], opts["threads"],
                      WEBHOOK_SECRET) if opts["page_workers"] else contextlib.nullcontext())
    with pages as page_server:
        out["peak"] = _webhook_load(server, database.name, database.url, intents, opts, tmp,
                                    readers=opts["readers"], page_server=page_server)
    stages.done("peak")
    return out


def run_engine(engine_name: str, opts: dict) -> dict:
    """Floors, the peak, the books' checks and the one-gift profile on one engine."""
    gifts, profiled, stages = opts["gifts"], opts["profile_gifts"], Stages()
    with tempfile.TemporaryDirectory(prefix="wanjia-giving-") as tmp:
        database, missing = _fresh(engine_name, tmp, opts["pg_server"])
        if missing:
            return {"skipped": missing}
        try:
            info = build_database(database.url, gifts + profiled)
            intents = [[pi, info["amounts"][pi]] for pi in info["payment_intents"][:gifts]]
            stages.done("setup")
            with Gunicorn(database.url, opts["workers"], opts["worker_class"], opts["threads"],
                          WEBHOOK_SECRET) as server:
                out = _measure(server, database, intents, opts, Path(tmp), stages)
            out["books"] = giving_checks.check_books(database.url, gifts, info["pledge_id"],
                                                     info["pool_fen"])
            stages.done("checks")
            if profiled:
                out["profile"] = giving_checks.profile_gifts(
                    database.url, info["payment_intents"][gifts:], info["amounts"], WEBHOOK_SECRET)
                stages.done("profile")
            out["stages_s"] = stages.seconds
            return out
        finally:
            database.drop()


def run_scaling(opts: dict, worker_counts=(1, 2)) -> dict:
    """The webhook load alone on PostgreSQL with each worker count, on a fresh database each."""
    out = {}
    for workers in worker_counts:
        with tempfile.TemporaryDirectory(prefix="wanjia-giving-") as tmp:
            database, missing = _fresh("postgresql", tmp, opts["pg_server"])
            if missing:
                return {"skipped": missing}
            try:
                info = build_database(database.url, opts["scaling_gifts"])
                intents = [[pi, info["amounts"][pi]] for pi in info["payment_intents"]]
                with Gunicorn(database.url, workers, opts["worker_class"], opts["threads"],
                              WEBHOOK_SECRET) as server:
                    load = _webhook_load(server, database.name, database.url, intents, opts, Path(tmp))
                books = giving_checks.check_books(database.url, len(intents), info["pledge_id"],
                                                  info["pool_fen"])
                out[str(workers)] = {**load, "books_ok": books["ok"]}
            finally:
                database.drop()
    return out


def run(engine: str = "all", gifts: int = 20_000, concurrency: int = 32, workers: int = 2,
        worker_class: str = "gthread", threads: int = 4, readers: int = 2,
        scaling_gifts: int = 2_000, profile_gifts: int = 30, floor_requests: int = 0,
        page_workers: int = 0, pg_server: str = PG_SERVER, **_options) -> dict:
    """Every measurement, as one JSON-ready dict (``benchmarks.giving_day`` in latest.json)."""
    opts = dict(gifts=gifts, concurrency=concurrency, workers=workers, worker_class=worker_class,
                threads=threads, readers=readers, scaling_gifts=scaling_gifts,
                profile_gifts=profile_gifts, floor_requests=floor_requests,
                page_workers=page_workers, pg_server=pg_server)
    result = {"benchmark": "giving_day", "options": opts, "engines": {}}
    for name in ("sqlite", "postgresql"):
        if engine in (name, "all"):
            result["engines"][name] = run_engine(name, opts)
    if engine in ("postgresql", "all") and scaling_gifts:
        result["scaling"] = run_scaling(opts, worker_counts=(1, workers) if workers != 1 else (1, 2))
    result["targets"] = giving_report.check_targets(result)
    return result


def table(result: dict) -> str:
    return giving_report.table(result)


def add_arguments(parser) -> None:
    add = parser.add_argument
    add("--engine", choices=["sqlite", "postgresql", "all"], default="all")
    add("--gifts", type=int, default=20_000, help="webhooks (distinct gifts) per engine")
    add("--concurrency", type=int, default=32, help="webhook senders at once")
    add("--workers", type=int, default=2, help="gunicorn workers")
    # gthread, measured: the same webhook throughput as sync within the noise, and readers
    # no worse, sometimes far better, since a thread can take a page between two webhooks
    # (docs/bench.md); --page-workers takes the readers off the webhooks' queue altogether.
    add("--worker-class", choices=["gthread", "sync"], default="gthread", help="gunicorn worker class")
    add("--threads", type=int, default=4, help="threads per gthread worker")
    add("--readers", type=int, default=2, help="readers per public page during the peak")
    add("--scaling-gifts", type=int, default=2_000,
         help="webhooks per run of the 1-vs-2-worker comparison on PostgreSQL (0: skip it)")
    add("--profile-gifts", type=int, default=30, help="gifts booked in-process, in phases")
    add("--floor-requests", type=int, default=0,
         help="requests per floor (default: a tenth of --gifts, 100 to 2,000)")
    add("--page-workers", type=int, default=0,
        help="serve the readers from a second gunicorn with this many workers (0: the same one)")
    add("--pg-server", default=PG_SERVER, help="PostgreSQL server for throwaway databases")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.giving_day", description=__doc__.split("\n")[0])
    add_arguments(parser)
    parser.add_argument("--json", help="also write the result to this file")
    args = vars(parser.parse_args(argv))
    path = args.pop("json")
    result = run(**args)
    print(table(result))
    if path:
        Path(path).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return result


if __name__ == "__main__":
    main()
