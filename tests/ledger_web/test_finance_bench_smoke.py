"""The ledger benchmark runs end to end on a tiny ledger and reports every figure (no timed
assertions: the machine is shared; docs/bench.md has the real run)."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE_KEYS = {"entries", "postings", "single_commit_entries_per_s", "batched_entries_per_s",
               "batched_rows_per_s", "trial_balance_now_ms", "trial_balance_as_of_ms",
               "verify_s", "verify_problems", "peak_rss_mib"}


def test_ledger_benchmark_produces_every_figure(tmp_path):
    out = tmp_path / "ledger.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.ledger", "--postings", "2000", "--engine", "sqlite",
         "--sample", "40", "--runs", "3", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    sqlite = result["engines"]["sqlite"]
    assert ENGINE_KEYS <= set(sqlite)
    # exactly the asked-for postings, plus the opening balances (2 lines per sub-fund)
    assert sqlite["postings"] == 2000 + 72
    assert sqlite["verify_problems"] == 0 and sqlite["trial_balance_balances"] is True
    assert sqlite["single_commit_entries"] == 40
    assert result["floor"]["rows"] == sqlite["entries"] + sqlite["postings"] - 1 - 72
    assert set(result["targets"]) == {"batched_vs_floor", "single_commit_entries_per_s",
                                      "trial_balance_now_ms", "trial_balance_as_of_ms",
                                      "verify_s", "peak_rss_mib"}
    assert "one entry per commit, entries/s" in done.stdout


def test_make_bench_runs_every_module_and_writes_one_json(tmp_path):
    out = tmp_path / "latest.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--postings", "2000", "--engine", "sqlite",
         "--sample", "40", "--runs", "3", "--only", "ledger", "schema_floor",
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    benchmarks = json.loads(out.read_text())["benchmarks"]
    assert set(benchmarks) == {"ledger", "schema_floor"}
    variants = benchmarks["schema_floor"]["variants"]
    assert len(variants) == 4
    assert all(v["rows"] == benchmarks["ledger"]["floor"]["rows"] for v in variants.values())
