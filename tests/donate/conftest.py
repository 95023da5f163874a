"""Fixtures for the giving tests: a real localstripe server, a real SMTP server (aiosmtpd),
the app served over HTTP for webhooks, and a live drive with its ledger funds."""
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import campaign_in_status
import requests

from core.extensions import db
from tests.conftest import component_missing

ROOT = Path(__file__).resolve().parents[2]
from tests.donate.giving_support import FUNDS, WEBHOOK_SECRET


# -- localstripe ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def localstripe_server():
    """localstripe on 127.0.0.1 (a free port, a private in-memory store) for the session."""
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tools.localstripe_server", "--port", "0"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as err:
        component_missing(f"localstripe cannot start: {err}")
    try:
        line = proc.stdout.readline().strip()
        if not line.startswith("localstripe on "):
            component_missing(f"localstripe did not start: {line or proc.stderr.read()[-500:]}")
        url = line.split(" on ", 1)[1]
        _wait_until_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_until_up(url, proc):
    for _ in range(100):
        try:
            requests.get(f"{url}/v1/customers", auth=("sk_test_x", ""), timeout=1)
            return
        except requests.ConnectionError:
            if proc.poll() is not None:
                component_missing("localstripe exited at start")
            time.sleep(0.1)
    component_missing("localstripe did not answer")


@pytest.fixture
def stripe_url(app, localstripe_server):
    """localstripe emptied for this test, and the app pointed at it (no network retries:
    localstripe ignores Idempotency-Key, so a retry could pay twice)."""
    requests.delete(f"{localstripe_server}/_config/data", timeout=5)
    app.config.update(
        STRIPE_API_BASE=localstripe_server, STRIPE_SECRET_KEY="sk_test_wanjia",
        STRIPE_MAX_NETWORK_RETRIES=0, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_JS_URL=f"{localstripe_server}/js.stripe.com/v3/",
    )
    return localstripe_server


@pytest.fixture
def gateway(app, stripe_url):
    from donate.stripe_gateway import StripeGateway

    return StripeGateway.from_config(app.config)


# -- the app over HTTP (for localstripe's webhooks) -----------------------------------------

@pytest.fixture
def live_server(app):
    """The test app served by werkzeug on a free port in a background thread; its URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


# -- SMTP -----------------------------------------------------------------------------------

class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on a free port; the app's MAIL_* point at it."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        component_missing("aiosmtpd is not installed")
    from tools.localstripe_server import free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield inbox
    controller.stop()


# -- the domain -----------------------------------------------------------------------------

@pytest.fixture
def funds(app):
    from ledger.chart import seed_chart
    from ledger.posting import ensure_fund

    seed_chart(db.session)
    names = {"SF-LJZ": "陆家嘴街道", "SF-HN": "惠南镇", "GOODS-YN": "云南特产"}
    for code in FUNDS:
        ensure_fund(db.session, code, name_zh=names[code], name_en=code, restriction="restricted",
                    kind="goods" if code.startswith("GOODS") else "subfund")
    db.session.commit()
    return FUNDS


@pytest.fixture
def make_drive(funds):
    """``make_drive(status="live", **fields)``: a drive moved to ``status`` by its services."""

    def make(status="live", **fields):
        fields.setdefault("slug", f"drive-{status}")
        fields.setdefault("title_zh", "万人捐、帮万家")
        fields.setdefault("title_en", "10,000 donors help 10,000 homes")
        fields.setdefault("designation_funds", ("SF-LJZ", "GOODS-YN"))
        return campaign_in_status(status, **fields)

    return make


@pytest.fixture
def drive(make_drive):
    """A live pooled drive: ¥1 to ¥50,000, sub-fund SF-LJZ and goods fund GOODS-YN."""
    return make_drive("live")


@pytest.fixture
def webhook_secret(app):
    """The app checks webhook signatures against the secret the tests sign with."""
    app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    return WEBHOOK_SECRET
