"""``flask demo seed`` books a few dozen gifts through the real booking service, once; the
localstripe launcher keeps its store to itself."""
import subprocess
import sys
import time
from pathlib import Path

import requests
import sqlalchemy as sa

from core.extensions import db
from donate.models import Donation, OutboxMessage
from tools import run_local
from tools.localstripe_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_demo_seed_books_gifts_once(runner):
    from ledger import chart
    from ledger.balances import account_balance

    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "36 new demo gift(s) booked" in first.output
    assert "finance@demo.wanjia / wanjia-finance-demo" in first.output
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0 and "0 new demo gift(s) booked" in second.output
    gifts = list(db.session.scalars(sa.select(Donation)))
    # 36 one-off gifts and 22 months of demo monthly plans to the year-end drive; 4 gifts that
    # funded the demo micro-wishes and 2 parts of the pooled one.
    by_drive = {(slug, monthly): sum(g.campaign.slug == slug and (g.plan_id is not None) == monthly
                                     for g in gifts)
                for slug in ("wanren-juan", "dongri-nuanyang") for monthly in (False, True)}
    assert by_drive == {("wanren-juan", False): 36, ("wanren-juan", True): 22,
                        ("dongri-nuanyang", False): 6, ("dongri-nuanyang", True): 0}
    assert len(gifts) == 64 and {g.status for g in gifts} == {"succeeded"}
    total = sum(g.amount_fen for g in gifts)
    income = sum(account_balance(db.session, chart.DONATION_INCOME, g) for g in
                 {g.designation.fund_code for g in gifts})
    # The demo sponsor's pledge matched part of the year-end gifts (campaigns.matching.demo).
    from campaigns.matching.models import Match

    matched = db.session.scalar(sa.select(sa.func.sum(Match.amount_fen)))
    assert 0 < matched < 5_000_000
    assert income == -(total + matched)
    assert len({g.receipt_number for g in gifts}) == 64
    # Only the monthly donors gave an email (the donor page needs one): a receipt each.
    queued = {m.dedup_key for m in db.session.scalars(sa.select(OutboxMessage))}
    assert queued == {f"receipt:{g.receipt_number}" for g in gifts if g.plan_id is not None}


def test_the_launcher_binds_loopback_and_leaves_the_shared_store_alone(tmp_path):
    shared = Path("/tmp/localstripe.pickle")
    before = shared.stat().st_mtime if shared.exists() else None
    port = free_port()
    store = tmp_path / "own.pickle"
    proc = subprocess.Popen([sys.executable, "-m", "tools.localstripe_server", "--port", str(port),
                             "--store", str(store)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == f"localstripe on http://127.0.0.1:{port}"
        resp = requests.post(f"http://127.0.0.1:{port}/v1/customers", auth=("sk_test_x", ""),
                             data={"email": "a@example.org"}, timeout=5)
        assert resp.status_code == 200
        time.sleep(0.2)
        assert store.exists()
        assert (shared.stat().st_mtime if shared.exists() else None) == before
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_run_local_banner_names_the_url_and_logins():
    text = run_local.banner()
    assert "http://127.0.0.1:5000/" in text and "staff@demo.wanjia / wanjia-staff-demo" in text
