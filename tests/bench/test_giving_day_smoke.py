"""The giving-day benchmark (issue #9) still works end to end: a few hundred signed webhooks
through gunicorn and locust, then the books' checks. Only exact counts are asserted, never a
timing (the machine is shared; docs/bench.md has the real run). On SQLite always (with the
pages on their own gunicorn), and on PostgreSQL when it is the main engine (one gunicorn for
both, and the 1-vs-2-worker runs)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_SERVER_DEFAULT, _main_engine_is_pg, component_missing

ROOT = Path(__file__).resolve().parents[2]
GIFTS, PROFILED, SCALING = 200, 3, 60
#: bench.giving_setup.POOL_PER_GIFT_FEN: the pool is ¥50 per pending gift.
POOL_PER_GIFT_FEN = 5_000


def _run_bench(tmp_path, engine: str, scaling: int, page_workers: int) -> dict:
    if not shutil.which("locust", path=str(Path(sys.executable).parent)):
        component_missing("locust is not installed in the venv (pip install -e '.[test]')")
    out = tmp_path / "giving_day.json"
    server = os.environ.get("TEST_DATABASE_URL") if _main_engine_is_pg() else PG_SERVER_DEFAULT
    done = subprocess.run(
        [sys.executable, "-m", "bench.giving_day", "--engine", engine, "--gifts", str(GIFTS),
         "--concurrency", "8", "--readers", "1", "--floor-requests", "40",
         "--profile-gifts", str(PROFILED), "--scaling-gifts", str(scaling),
         "--page-workers", str(page_workers), "--pg-server", server, "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    if "skipped" in result["engines"][engine]:
        component_missing(result["engines"][engine]["skipped"])
    assert "webhook → ledger, gifts/s (end to end)" in done.stdout
    return result


def _check_engine(run: dict) -> None:
    peak, books = run["peak"], run["books"]
    assert peak["webhook"]["requests"] - peak["retries"] == GIFTS
    assert peak["lost"] == 0 and peak["all_booked"] is True
    assert books["gifts"] == books["succeeded"] == books["gift_entries"] == GIFTS
    assert books["events_booked"] == books["receipts"] == GIFTS
    assert books["duplicate_keys"] == 0
    # The pool is sized on every pending gift (the profiled ones too) and is smaller than
    # what the gifts would match, so it must be spent to the fen.
    assert books["pool_fen"] == (GIFTS + PROFILED) * POOL_PER_GIFT_FEN
    assert books["pool_spent_fen"] == books["matched_fen"] == books["pool_fen"]
    assert books["verify_problems"] == 0 and books["receipts_gapless"] is True
    assert books["ok"] is True
    assert run["floor_hello"]["requests"] == run["floor_write"]["requests"] == 40
    assert run["floor_write"]["failures"] == 0
    for page in ("campaign_page", "home_page", "progress_json", "hello_floor"):
        assert peak["readers"][page]["requests"] > 0
        assert peak["readers"][page]["failures"] == 0, peak["errors"]
    assert run["profile"]["gifts"] == PROFILED and run["profile"]["statements_single"] > 0


#: SQLite always; PostgreSQL too where it is the main engine (never a skip on either run).
ENGINES = ["sqlite"] + (["postgresql"] if _main_engine_is_pg() else [])
TARGET_KEYS = ("gifts_per_s", "webhook_p99_ms", "campaign_vs_floor", "campaign_p99_ms", "books_ok")


@pytest.mark.parametrize("engine", ENGINES)
def test_giving_day_benchmark_books_every_gift_once(tmp_path, engine):
    # SQLite serves the readers from their own gunicorn, PostgreSQL from the webhooks' one:
    # both layouts stay working.
    scaling, page_workers = (SCALING, 0) if engine == "postgresql" else (0, 1)
    result = _run_bench(tmp_path, engine, scaling, page_workers)
    assert result["options"]["page_workers"] == page_workers
    _check_engine(result["engines"][engine])
    assert result["targets"][f"{engine}.books_ok"] == {"value": True, "target": "== True", "ok": True}
    expected = {f"{engine}.{key}" for key in TARGET_KEYS}
    if scaling:
        expected.add("postgresql.second_worker_gain")
        assert set(result["scaling"]) == {"1", "2"}
        for run in result["scaling"].values():
            assert run["webhook"]["requests"] - run["retries"] == SCALING
            assert run["books_ok"] is True and run["all_booked"] is True and run["lost"] == 0
    assert set(result["targets"]) == expected
