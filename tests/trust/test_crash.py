"""Crash safety (issue #10): the app under gunicorn (2 workers, production settings) with
localstripe sending it webhooks; gifts are paid while the server is killed with SIGKILL
mid-stream and started again; then ``payments sweep`` runs. Every PaymentIntent localstripe
says succeeded is booked exactly once, and nothing is half-written: no succeeded donation
without its entry, no gift entry without its donation, and ``ledger verify`` is clean."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from core.extensions import db
from tests.conftest import component_missing
from tests.donate.giving_support import WEBHOOK_SECRET, make_paid_donation, register_webhook
from tools.localstripe_server import free_port

ROOT = Path(__file__).resolve().parents[2]
GIFTS = 50
KILL_AFTER = 20


def _server_env(app, stripe_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "crash-test-secret-key", "WANJIA_ENV": "production",
            "STRIPE_API_BASE": stripe_url, "STRIPE_SECRET_KEY": "sk_test_crash",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_MAX_NETWORK_RETRIES": "0"}


class Gunicorn:
    def __init__(self, env: dict):
        self.env, self.port, self.proc = env, free_port(), None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        binary = Path(sys.executable).with_name("gunicorn")
        if not binary.exists():
            component_missing("gunicorn is not installed")
        self.proc = subprocess.Popen(
            [str(binary), "-w", "2", "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "1",
             "wsgi:create_app()"], cwd=ROOT, env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _i in range(150):
            try:
                requests.get(f"{self.url}/api/v1/campaigns/none", timeout=5)
                return
            except requests.RequestException:  # not listening yet, or still loading the app
                time.sleep(0.1)
        pytest.fail("gunicorn did not start")

    def kill(self):
        """SIGKILL to the master and its workers at once: no cleanup, no graceful anything."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def server(app, stripe_url, make_drive_for_crash):
    app.config.update(STRIPE_API_BASE=stripe_url)
    gunicorn = Gunicorn(_server_env(app, stripe_url))
    gunicorn.start()
    yield gunicorn
    if gunicorn.proc and gunicorn.proc.poll() is None:
        gunicorn.kill()


@pytest.fixture
def make_drive_for_crash(app):
    from campaigns.demo import seed_office

    seed_office(db.session)
    db.session.commit()


def wait_for_entries(count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while gift_entries() < count and time.monotonic() < deadline:
        time.sleep(0.2)


def gift_entries() -> int:
    from ledger.models import JournalEntry

    db.session.rollback()  # a fresh snapshot: the server commits in another process
    return db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry).where(
        JournalEntry.idempotency_key.like("stripe:%:succeeded")))


def test_gifts_survive_a_sigkill_and_the_sweep_books_each_once(app, gateway, server, stripe_url):
    from campaigns.services import campaign_by_slug
    from donate.models import Donation
    from ledger.verify import verify_ledger

    register_webhook(stripe_url, f"{server.url}/stripe/webhook")
    drive = campaign_by_slug(db.session, "wanren-juan")
    for n in range(GIFTS):
        if n == KILL_AFTER:
            # Killed once webhooks are being booked (localstripe sends each about 1 s after
            # the payment), so that some are booked and others in flight when it dies.
            wait_for_entries(KILL_AFTER // 2)
            server.kill()
        _gift, pi = make_paid_donation(gateway, drive, amount_fen=1_000 + n, fund="SF-LJZ",
                                       email=f"crash{n}@example.org", confirm=None)
        # Confirmed on its own: localstripe sends the webhook for a confirmation, not a creation.
        gateway.client.v1.payment_intents.confirm(pi["id"])
    time.sleep(2)  # the webhooks of the gifts paid while it was down go nowhere
    server.start()
    before_sweep = gift_entries()
    assert KILL_AFTER // 2 <= before_sweep < GIFTS  # some were booked live, the rest were lost
    sweep = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "payments", "sweep"],
                           cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=120)
    assert sweep.returncode == 0, sweep.stderr[-2000:]
    paid = {pi["id"] for pi in gateway.client.v1.payment_intents.list({"limit": 100}).auto_paging_iter()
            if pi["status"] == "succeeded"}
    db.session.expire_all()
    gifts = db.session.scalars(sa.select(Donation)).all()
    booked = {g.stripe_payment_intent for g in gifts if g.status == "succeeded"}
    assert len(paid) == GIFTS and booked == paid
    assert all(g.entry_id is not None and g.receipt_number for g in gifts if g.status == "succeeded")
    assert gift_entries() == GIFTS  # once each: no entry without its donation, none twice
    assert verify_ledger(db.session) == []
