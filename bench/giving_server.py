"""The giving-day benchmark's processes: the app under gunicorn (production settings, on
127.0.0.1 and a free port) and a headless locust run against it; plus the arithmetic on what
locust recorded (requests/s, p50/p95/p99) and the CPU each side spent.
"""
import ctypes
import json
import math
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOCUSTFILE = ROOT / "bench" / "_giving_locust.py"


try:  # loaded here, in the parent: the child calls only prctl between fork and exec
    _PRCTL = ctypes.CDLL("libc.so.6", use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _PRCTL = None
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: be sent SIGTERM when the benchmark's process dies (a test's
    timeout kills only its direct child; gunicorn and locust must not live on without it)."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(url: str, webhook_secret: str) -> dict:
    """Production settings: a real secret key, no debug; Stripe unreachable on purpose, so that
    a booking that tried to call it would fail loudly instead of timing a fake server."""
    env = dict(os.environ, WANJIA_ENV="production", SECRET_KEY=secrets.token_hex(32),
               DATABASE_URL=url, STRIPE_WEBHOOK_SECRET=webhook_secret,
               STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_MAX_NETWORK_RETRIES="0",
               WANJIA_BOOK_FEES_AT_SUCCESS="0", PYTHONPATH=str(ROOT))
    env.pop("FLASK_DEBUG", None)
    return env


class Gunicorn:
    """``gunicorn 'bench.floor_wsgi:create_app()'`` for the length of a ``with`` block."""

    def __init__(self, url: str, workers: int, worker_class: str, threads: int, secret: str):
        self.port = free_port()
        self.host = f"http://127.0.0.1:{self.port}"
        self.cmd = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                    "--worker-class", worker_class, "--threads", str(threads), "--backlog", "2048",
                    "--timeout", "120", "--log-level", "warning", "bench.floor_wsgi:create_app()"]
        self.env, self.proc = server_env(url, secret), None

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.host + "/_bench/hello", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cpu_seconds(self) -> float:
        """CPU the master and its workers have used so far."""
        try:
            master = psutil.Process(self.proc.pid)
            procs = [master] + master.children(recursive=True)
            return sum(sum(p.cpu_times()[:2]) for p in procs)
        except psutil.Error:
            return 0.0


def database_cpu_seconds(db_name: str | None) -> float:
    """CPU of the PostgreSQL backends serving ``db_name`` (0 for SQLite, which runs in-process)."""
    total = 0.0
    if not db_name:
        return total
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            if proc.info["name"] == "postgres" and db_name in " ".join(proc.info["cmdline"] or ()):
                total += sum(proc.cpu_times()[:2])
        except psutil.Error:
            continue
    return total


def run_locust(host: str, classes: list[str], users: int, data: dict, workdir: Path,
               readers: int = 0) -> dict:
    """One headless locust run; returns what it recorded and its own CPU seconds."""
    inp, out = workdir / "locust_input.json", workdir / "locust_output.json"
    inp.write_text(json.dumps({"host": host, **data, "out": str(out)}))
    total = users + readers * sum(c.endswith("Reader") for c in classes)
    env = dict(os.environ, PYTHONPATH=str(ROOT), WANJIA_BENCH_INPUT=str(inp),
               WANJIA_BENCH_SENDERS=str(users), WANJIA_BENCH_READERS=str(readers))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless",
                    "-u", str(total), "-r", str(total), "-t", "4h", "--only-summary",
                    "--loglevel", "WARNING", "--skip-log-setup", *classes],
                   cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL,
                   preexec_fn=_die_with_parent)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.read_text())
    result["generator_cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2)
    return result


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_ms:
        return 0.0
    return sorted_ms[min(len(sorted_ms) - 1, max(0, math.ceil(q * len(sorted_ms)) - 1))]


def summarise(samples: list) -> dict:
    """``[(start, ms, ok), …]`` → count, failures, requests/s over the span, p50/p95/p99 ms."""
    if not samples:
        return {"requests": 0, "failures": 0, "rps": 0.0, "p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0}
    ms = sorted(s[1] for s in samples)
    first = min(s[0] for s in samples)
    last = max(s[0] + s[1] / 1000 for s in samples)
    return {"requests": len(samples), "failures": sum(1 for s in samples if not s[2]),
            "rps": round(len(samples) / max(last - first, 1e-6), 1),
            "p50_ms": round(percentile(ms, 0.50), 1), "p95_ms": round(percentile(ms, 0.95), 1),
            "p99_ms": round(percentile(ms, 0.99), 1)}
