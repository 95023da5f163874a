"""What the ledger's own database invariants cost on SQLite, with no Python in between.

    python -m bench.schema_floor --postings 1000000

The same entry and posting rows as ``bench.ledger`` are inserted with plain
``sqlite3.executemany`` in one transaction into the app's real schema (``create_all``: its
triggers and foreign keys), then again with parts of that enforcement switched off, so that
the ledger's batched figure can be read against the ceiling its own schema allows.
"""
import argparse
import multiprocessing
import sqlite3
import tempfile
import time

import sqlalchemy as sa

from bench import ledger

#: (label, foreign keys on, triggers dropped)
VARIANTS = (
    ("app schema (triggers and foreign keys)", True, ()),
    ("foreign keys off", False, ()),
    ("no postings_open_period trigger", False, ("postings_open_period",)),
    ("no period triggers", False, ("postings_open_period", "journal_entries_open_period")),
)
_ENTRY = ("INSERT INTO journal_entries (id, entry_date, memo, source, posted_by, "
          "idempotency_key, reverses_id, hash, created_at) VALUES (?,?,?,?,?,?,?,?,?)")
_POSTING = ("INSERT INTO postings (entry_id, account_id, fund_id, currency, amount) "
            "VALUES (?,?,?,?,?)")


def _real_ids(path: str, postings: int, lines: list) -> list:
    """The floor rows number accounts and funds in order of use; map them to the real ids."""
    with sqlite3.connect(path) as conn:
        accounts = dict(conn.execute("SELECT code, id FROM accounts"))
        funds = dict(conn.execute("SELECT code, id FROM funds"))
    seen_accounts, seen_funds = {}, {}
    for draft in ledger.Workload(postings):
        for line in draft.lines:
            seen_accounts.setdefault(line.account, len(seen_accounts) + 1)
            seen_funds.setdefault(line.fund, len(seen_funds) + 1)
    account_of = {n: accounts[code] for code, n in seen_accounts.items()}
    fund_of = {n: funds[code] for code, n in seen_funds.items()}
    return [(e, account_of[a], fund_of[f], c, m) for e, a, f, c, m in lines]


def _one(postings: int, entries: list, lines: list, foreign_keys: bool, drop: tuple) -> dict:
    with tempfile.TemporaryDirectory(prefix="wanjia-schema-floor-") as tmp:
        path = f"{tmp}/ledger.sqlite3"
        engine = sa.create_engine(f"sqlite:///{path}")
        ledger.prepare(engine)  # the chart, funds and opening entry, as in bench.ledger
        engine.dispose()
        rows = _real_ids(path, postings, lines)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        for trigger in drop:
            conn.execute(f"DROP TRIGGER {trigger}")
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(_ENTRY, entries)
        conn.executemany(_POSTING, rows)
        conn.execute("COMMIT")
        seconds = time.perf_counter() - start
        conn.close()
    count = len(entries) + len(rows)
    return {"rows": count, "seconds": round(seconds, 3), "rows_per_s": round(count / seconds, 1)}


def _child(postings: int, queue) -> None:
    entries, lines = ledger._floor_rows(postings)
    queue.put({label: _one(postings, entries, lines, fks, drop) for label, fks, drop in VARIANTS})


def run(postings: int = 1_000_000, **_options) -> dict:
    """Rows/s for each variant (in a child process, so its memory stays out of the parent's)."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(postings, queue))
    child.start()
    variants = queue.get()
    child.join()
    return {"benchmark": "schema_floor", "postings_target": postings, "variants": variants}


def table(result: dict) -> str:
    lines = ["raw sqlite3 executemany into the app's schema          rows/s"]
    lines += [f"  {label:<48} {v['rows_per_s']:>12}" for label, v in result["variants"].items()]
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.schema_floor")
    parser.add_argument("--postings", type=int, default=1_000_000)
    result = run(parser.parse_args(argv).postings)
    print(table(result))
    return result


if __name__ == "__main__":
    main()
