"""The ledger benchmark: build a ledger of N postings through the real posting API and time
what finance officers and the payment flows depend on.

    python -m bench.ledger --postings 1000000 [--engine sqlite|postgresql|all]

Measured, per engine: one-entry-per-commit posting (a sample), batched posting with
``post_entries`` (the bulk of the postings; every rule still checked), the trial balance
now and as of a past date (medians), ``verify_ledger`` over everything, and peak RSS.
Measured in the same run: the raw floor, plain ``sqlite3`` inserting rows of the same shapes
with ``executemany`` in one transaction (in a child process, so that its memory does not
count against the ledger's).
"""
import argparse
import inspect
import json
import multiprocessing
import os
import random
import resource
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.model import Base
from ledger import chart
from ledger.posting import EntryDraft, Line, ensure_fund, post_entries, post_entry
from ledger.reports import trial_balance
from ledger.verify import verify_ledger

PG_SERVER = "postgresql+psycopg:///postgres?host=/var/run/postgresql"
LEDGER_TABLES = ("accounts", "funds", "journal_entries", "postings", "balances",
                 "ledger_chain_heads", "periods", "period_events")
FIRST_DAY, DAYS = date(2025, 1, 1), 546  # 2025-01-01 … 2026-06-30
AS_OF = date(2025, 9, 30)
SUBFUNDS = [f"SUB-{i:02d}" for i in range(1, 37)]  # Pudong's 36 streets and towns
#: Targets on the 2-core reference machine (SQLite); see docs/bench.md.
TARGETS = {
    "batched_vs_floor": (">=", 0.20), "single_commit_entries_per_s": (">=", 2000),
    "trial_balance_now_ms": ("<", 20), "trial_balance_as_of_ms": ("<", 1000),
    "verify_s": ("<", 30), "peak_rss_mib": ("<", 300),
}


# -- the workload ----------------------------------------------------------------------------

class Workload:
    """Deterministic drafts: online gifts with a fee (4 postings) to the 36 sub-funds, and
    every tenth entry a small disbursement from a sub-fund's bank money (2 postings)."""

    def __init__(self, postings: int, seed: int = 2026):
        self.target, self.rng, self.made, self.count = postings, random.Random(seed), 0, 0
        self.entries_planned = max(1, postings * 10 // 38)  # 9 gifts (36) + 1 disbursement (2)

    def __iter__(self):
        while self.target - self.made >= 2:  # a single posting cannot balance alone
            draft = self._draft(self.count, self.target - self.made)
            self.made += len(draft.lines)
            self.count += 1
            yield draft

    def _day(self, n: int) -> date:
        return FIRST_DAY + timedelta(days=min(DAYS - 1, n * DAYS // self.entries_planned))

    def _draft(self, n: int, left: int) -> EntryDraft:
        fund = SUBFUNDS[self.rng.randrange(len(SUBFUNDS))]
        size = 2 if n % 10 == 9 else 4
        if left in (2, 3):
            size = left
        elif left - size == 1:
            size = 3  # so that exactly ``postings`` rows are written
        gross = self.rng.randrange(1000, 100001)
        fee = max(1, gross * 6 // 1000)
        lines = {
            2: (Line(chart.PROGRAM_EXPENSE, fund, 100), Line(chart.BANK, fund, -100)),
            3: (Line(chart.PROCESSOR_CLEARING, fund, gross - fee),
                Line(chart.FUNDRAISING_EXPENSE, fund, fee), Line(chart.DONATION_INCOME, fund, -gross)),
            4: (Line(chart.PROCESSOR_CLEARING, fund, gross), Line(chart.DONATION_INCOME, fund, -gross),
                Line(chart.FUNDRAISING_EXPENSE, fund, fee), Line(chart.PROCESSOR_CLEARING, fund, -fee)),
        }[size]
        memo = "disbursement" if size == 2 else "online gift"
        return EntryDraft(date=self._day(n), memo=f"{memo} {n}", lines=lines,
                          idempotency_key=f"bench:{n}", source="bench")


def _bank_opening(session) -> None:
    """¥10,000 in the bank for each sub-fund: far more than its ¥1.00 disbursements take."""
    lines = []
    for fund in SUBFUNDS:
        lines += [Line(chart.BANK, fund, 10_000_00), Line(chart.NET_ASSETS_RESTRICTED, fund, -10_000_00)]
    post_entry(session, EntryDraft(date=FIRST_DAY, memo="opening balances", lines=tuple(lines),
                                   idempotency_key="bench:opening", source="bench"))


# -- timing helpers ------------------------------------------------------------------------

def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 2)


# -- one engine ------------------------------------------------------------------------------

def prepare(engine) -> None:
    tables = [Base.metadata.tables[name] for name in LEDGER_TABLES]
    Base.metadata.create_all(engine, tables=tables)
    with Session(engine) as session:
        chart.seed_chart(session)
        for fund in SUBFUNDS:
            ensure_fund(session, fund, name_zh=fund, name_en=fund, kind="subfund",
                        parent_code=chart.GENERAL_FUND)
        _bank_opening(session)
        session.commit()


def post_one_by_one(session, drafts) -> dict:
    start, entries, postings = time.perf_counter(), 0, 0
    for draft in drafts:
        post_entry(session, draft)
        session.commit()
        entries, postings = entries + 1, postings + len(draft.lines)
    seconds = time.perf_counter() - start
    return {"single_commit_entries": entries, "single_commit_s": round(seconds, 3),
            "single_commit_entries_per_s": round(entries / seconds, 1)}


def post_batched(session, drafts, batch: int) -> dict:
    start, entries, postings, chunk = time.perf_counter(), 0, 0, []
    for draft in drafts:
        chunk.append(draft)
        if len(chunk) == batch:
            entries, postings = _post_chunk(session, chunk, entries, postings)
            chunk = []
    if chunk:
        entries, postings = _post_chunk(session, chunk, entries, postings)
    seconds = time.perf_counter() - start
    return {"batched_entries": entries, "batched_postings": postings, "batch_size": batch,
            "batched_s": round(seconds, 2), "batched_entries_per_s": round(entries / seconds, 1),
            "batched_rows_per_s": round((entries + postings) / seconds, 1)}


#: Bulk callers need no entry objects back; use the engine's option for that where it has one.
_BULK = {"load": False} if "load" in inspect.signature(post_entries).parameters else {}


def _post_chunk(session, chunk, entries, postings):
    post_entries(session, chunk, **_BULK)
    session.commit()
    session.expunge_all()  # the ledger never needs yesterday's objects again
    return entries + len(chunk), postings + sum(len(d.lines) for d in chunk)


def measure_reads(session, runs: int) -> dict:
    out = {"trial_balance_now_ms": median_ms(lambda: trial_balance(session), runs),
           "trial_balance_as_of_ms": median_ms(lambda: trial_balance(session, as_of=AS_OF),
                                               max(3, runs // 4))}
    tb = trial_balance(session)
    out["trial_balance_balances"] = tb.total_debit == tb.total_credit
    start = time.perf_counter()
    problems = verify_ledger(session)
    out["verify_s"] = round(time.perf_counter() - start, 2)
    out["verify_problems"] = len(problems)
    return out


def bench_engine(url: str, postings: int, sample: int, batch: int, runs: int) -> dict:
    engine = sa.create_engine(url)
    try:
        prepare(engine)
        work = iter(Workload(postings))
        with Session(engine) as session:
            result = post_one_by_one(session, (d for _i, d in zip(range(sample), work)))
            result.update(post_batched(session, work, batch))
            result["postings"] = session.scalar(sa.text("SELECT count(*) FROM postings"))
            result["entries"] = session.scalar(sa.text("SELECT count(*) FROM journal_entries"))
            result.update(measure_reads(session, runs))
    finally:
        engine.dispose()
    result["peak_rss_mib"] = peak_rss_mib()
    return result


def run_sqlite(postings, sample, batch, runs) -> dict:
    with tempfile.TemporaryDirectory(prefix="wanjia-bench-") as tmp:
        result = bench_engine(f"sqlite:///{tmp}/ledger.sqlite3", postings, sample, batch, runs)
        result["database_mib"] = round(sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20, 1)
    return result


def run_postgresql(postings, sample, batch, runs, server: str = PG_SERVER) -> dict:
    name = f"wanjia_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    except sa.exc.OperationalError as err:
        return {"skipped": f"no PostgreSQL server at {server}: {str(err).splitlines()[0]}"}
    try:
        url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
        return bench_engine(url, postings, sample, batch, runs)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the raw floor ---------------------------------------------------------------------------

FLOOR_SCHEMA = """
CREATE TABLE journal_entries (id INTEGER PRIMARY KEY, entry_date DATE NOT NULL,
  memo VARCHAR(500) NOT NULL, source VARCHAR(40) NOT NULL, posted_by VARCHAR(254) NOT NULL,
  idempotency_key VARCHAR(255) NOT NULL UNIQUE, reverses_id INTEGER UNIQUE,
  hash VARCHAR(64) NOT NULL, created_at DATETIME NOT NULL);
CREATE INDEX ix_journal_entries_entry_date ON journal_entries (entry_date);
CREATE TABLE postings (id INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL,
  account_id INTEGER NOT NULL, fund_id INTEGER NOT NULL, currency VARCHAR(3) NOT NULL,
  amount BIGINT NOT NULL);
CREATE INDEX ix_postings_entry_id ON postings (entry_id);
CREATE INDEX ix_postings_account_fund ON postings (account_id, fund_id, currency);
"""


def _floor_rows(postings: int):
    """The same entries and postings as the ledger run, as plain tuples (built before timing)."""
    entries, lines, account_ids, fund_ids = [], [], {}, {}
    created = "2026-01-01 00:00:00.000000"
    for n, draft in enumerate(Workload(postings), start=2):
        entries.append((n, draft.date.isoformat(), draft.memo, draft.source, "",
                        draft.idempotency_key, None, f"{n:064x}", created))
        for line in draft.lines:
            account = account_ids.setdefault(line.account, len(account_ids) + 1)
            fund = fund_ids.setdefault(line.fund, len(fund_ids) + 1)
            lines.append((n, account, fund, line.currency, line.amount))
    return entries, lines


def _floor_child(postings: int, queue) -> None:
    entries, lines = _floor_rows(postings)
    with tempfile.TemporaryDirectory(prefix="wanjia-floor-") as tmp:
        conn = sqlite3.connect(f"{tmp}/floor.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(FLOOR_SCHEMA)
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO journal_entries VALUES (?,?,?,?,?,?,?,?,?)", entries)
        conn.executemany("INSERT INTO postings (entry_id, account_id, fund_id, currency, amount) "
                         "VALUES (?,?,?,?,?)", lines)
        conn.execute("COMMIT")
        seconds = time.perf_counter() - start
        conn.close()
    rows = len(entries) + len(lines)
    queue.put({"rows": rows, "entries": len(entries), "postings": len(lines),
               "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds, 1),
               "peak_rss_mib": peak_rss_mib()})


def run_floor(postings: int) -> dict:
    """Plain sqlite3, executemany in one transaction, same column shapes and indexes."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_floor_child, args=(postings, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


# -- the report ------------------------------------------------------------------------------

def check_targets(result: dict) -> dict:
    sqlite_ = result["engines"].get("sqlite", {})
    values = dict(sqlite_, batched_vs_floor=result.get("batched_vs_floor"))
    checks = {}
    for key, (op, bound) in TARGETS.items():
        value = values.get(key)
        ok = value is not None and (value >= bound if op == ">=" else value < bound)
        checks[key] = {"value": value, "target": f"{op} {bound}", "ok": ok}
    return checks


def run(postings: int = 1_000_000, engine: str = "all", sample: int = 5000, batch: int = 1000,
        runs: int = 21) -> dict:
    """Every measurement, as one JSON-ready dict."""
    sample = min(sample, max(1, postings // 40))
    result = {"benchmark": "ledger", "postings_target": postings, "sample": sample,
              "cpus": os.cpu_count(), "sqlite_version": sqlite3.sqlite_version,
              "as_of": AS_OF.isoformat(), "engines": {}}
    result["floor"] = run_floor(postings)
    if engine in ("sqlite", "all"):
        result["engines"]["sqlite"] = run_sqlite(postings, sample, batch, runs)
        rows_per_s = result["engines"]["sqlite"]["batched_rows_per_s"]
        result["batched_vs_floor"] = round(rows_per_s / result["floor"]["rows_per_s"], 3)
    if engine in ("postgresql", "all"):
        result["engines"]["postgresql"] = run_postgresql(postings, sample, batch, runs)
    result["targets"] = check_targets(result)
    return result


ROWS = [("entries", "entries"), ("postings", "postings"),
        ("single_commit_entries_per_s", "one entry per commit, entries/s"),
        ("batched_entries_per_s", "post_entries batched, entries/s"),
        ("batched_rows_per_s", "post_entries batched, rows/s"),
        ("trial_balance_now_ms", "trial balance now, ms (median)"),
        ("trial_balance_as_of_ms", "trial balance as of, ms (median)"),
        ("verify_s", "verify, s"), ("verify_problems", "verify problems"),
        ("peak_rss_mib", "peak RSS so far, MiB")]


def table(result: dict) -> str:
    engines = result["engines"]
    names = list(engines)
    lines = [f"{'ledger benchmark':<36}" + "".join(f"{n:>16}" for n in names)]
    for key, label in ROWS:
        cells = [engines[n].get(key, engines[n].get("skipped", "-")) for n in names]
        lines.append(f"{label:<36}" + "".join(f"{str(c)[:15]:>16}" for c in cells))
    floor = result["floor"]
    lines.append(f"raw sqlite3 floor: {floor['rows']} rows in {floor['seconds']} s = "
                 f"{floor['rows_per_s']} rows/s; batched/floor = {result.get('batched_vs_floor')}")
    for key, check in result["targets"].items():
        lines.append(f"  target {key:<30} {check['target']:<10} got {check['value']!s:<10} "
                     f"{'ok' if check['ok'] else 'MISSED'}")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "all"], default="all")
    parser.add_argument("--sample", type=int, default=5000,
                        help="entries posted one per commit (the rest are batched)")
    parser.add_argument("--batch", type=int, default=1000, help="entries per post_entries call")
    parser.add_argument("--runs", type=int, default=21, help="trial-balance repetitions")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger", description=__doc__.split("\n")[0])
    add_arguments(parser)
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args(argv)
    result = run(args.postings, args.engine, args.sample, args.batch, args.runs)
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
