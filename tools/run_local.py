"""``make run``: localstripe and the Flask app on this machine, wired together.

Starts localstripe on 127.0.0.1:8420 (its own store), registers the app's webhook with it,
starts the app on 127.0.0.1:5000, prints where to go and the demo logins, and stops both on
Ctrl-C. Payments go through the same code as in production; only the Stripe URL differs.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
STRIPE_PORT = int(os.environ.get("LOCALSTRIPE_PORT", "8420"))
APP_PORT = int(os.environ.get("WANJIA_PORT", "5000"))
DEMO_LOGINS = (
    ("staff@demo.wanjia", "wanjia-staff-demo"),
    ("finance@demo.wanjia", "wanjia-finance-demo"),
    ("admin@demo.wanjia", "wanjia-admin-demo"),
    ("auditor@demo.wanjia", "wanjia-auditor-demo"),
)


def wait_for(url: str, proc: subprocess.Popen, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}")
        try:
            requests.get(url, timeout=1, auth=("sk_test_local", ""))
            return
        except (requests.ConnectionError, requests.Timeout):  # a busy machine answers late
            time.sleep(0.2)
    raise SystemExit(f"{what} did not start at {url}")


def start_localstripe() -> tuple[subprocess.Popen, str]:
    url = f"http://127.0.0.1:{STRIPE_PORT}"
    # Its own store file, kept between runs; LOCALSTRIPE_STORE gives another (tests do).
    store = os.environ.get("LOCALSTRIPE_STORE") or ROOT / "instance" / "localstripe.pickle"
    proc = subprocess.Popen([sys.executable, "-m", "tools.localstripe_server",
                             "--port", str(STRIPE_PORT), "--store", str(store)], cwd=ROOT)
    wait_for(f"{url}/v1/customers", proc, "localstripe")
    return proc, url


def register_webhook(stripe_url: str, secret: str) -> None:
    resp = requests.post(f"{stripe_url}/_config/webhooks/wanjia",
                         data={"url": f"http://127.0.0.1:{APP_PORT}/stripe/webhook",
                               "secret": secret}, timeout=5)
    resp.raise_for_status()


def start_app(stripe_url: str, secret: str) -> subprocess.Popen:
    env = {**os.environ, "STRIPE_API_BASE": stripe_url, "STRIPE_WEBHOOK_SECRET": secret,
           "STRIPE_JS_URL": f"{stripe_url}/js.stripe.com/v3/",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{APP_PORT}",
           "WANJIA_ENV": os.environ.get("WANJIA_ENV", "development")}
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run",
                             "--host", "127.0.0.1", "--port", str(APP_PORT)], cwd=ROOT, env=env)
    wait_for(f"http://127.0.0.1:{APP_PORT}/", proc, "the app")
    return proc


def banner() -> str:
    lines = [f"Wanjia is running at http://127.0.0.1:{APP_PORT}/",
             f"  (localstripe at http://127.0.0.1:{STRIPE_PORT}; pay with card 4242 4242 4242 4242)",
             "Demo logins:"]
    lines += [f"  {email} / {password}" for email, password in DEMO_LOGINS]
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C and `kill` stop both children (SIGINT is set explicitly: a shell's background job
    # starts with it ignored).
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, _stop_on_sigterm)
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_local")
    stripe_proc, stripe_url = start_localstripe()
    procs = [stripe_proc]
    try:
        register_webhook(stripe_url, secret)
        procs.append(start_app(stripe_url, secret))
        print(banner(), flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
