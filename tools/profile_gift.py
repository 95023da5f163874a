"""Where the time of one gift goes, from webhook body to committed books.

:func:`profile_gifts` takes signed ``payment_intent.succeeded`` bodies of pending donations
and times each phase: parse the JSON, verify the signature, store the event in the inbox
(with its commit), then book: the first event alone (as under light load), the rest in
batches (as at the peak). Inside booking it separates the ledger post, matching, the receipt
number, the commit, and counts the SQL statements and their time. No profiler is used: the
phases are timed by wrapping the functions that do them, so the figures are wall-clock
milliseconds as the server would see them.

``python -m tools.profile_gift [--gifts N] [--batch B] [--database URL]`` runs it on a scratch
database (a temporary SQLite file by default; a PostgreSQL URL names an *empty* database it
may fill) and prints a table. The benchmark (bench/) calls :func:`profile_gifts` itself.
"""
import argparse
import json
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

#: Functions timed inside booking, as (module, attribute, phase).
WRAPPED = (("ledger.posting", "post_entries", "ledger post"),
           ("donate.services", "apply_matches", "matching"),
           ("donate.receipts", "take_receipt_number", "receipt number"))


class Timings:
    """Milliseconds per phase, and SQL statements."""

    def __init__(self):
        self.ms, self.statements, self._t = defaultdict(float), 0, {}

    @contextmanager
    def phase(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] += (time.perf_counter() - start) * 1000


@contextmanager
def instrumented(timings: Timings):
    """Wrap the booking phases and count SQL while inside."""
    from importlib import import_module

    saved = []
    for module_name, attr, name in WRAPPED:
        module = import_module(module_name)
        original = getattr(module, attr)
        saved.append((module, attr, original))
        setattr(module, attr, _timed(timings, name, original))

    def before_sql(conn, *_args):
        conn.info["profile.t"] = time.perf_counter()

    def after_sql(conn, *_args):
        timings.statements += 1
        timings.ms["sql (inside the phases)"] += (time.perf_counter() - conn.info.pop("profile.t")) * 1000

    def before_commit(_session):
        timings._t["commit"] = time.perf_counter()

    def after_commit(_session):
        if "commit" in timings._t:
            timings.ms["commit"] += (time.perf_counter() - timings._t.pop("commit")) * 1000

    hooks = [(sa.engine.Engine, "before_cursor_execute", before_sql),
             (sa.engine.Engine, "after_cursor_execute", after_sql),
             (Session, "before_commit", before_commit), (Session, "after_commit", after_commit)]
    for target, name, fn in hooks:
        event.listen(target, name, fn)
    try:
        yield timings
    finally:
        for target, name, fn in hooks:
            event.remove(target, name, fn)
        for module, attr, original in saved:
            setattr(module, attr, original)


def _timed(timings: Timings, name: str, fn):
    def run(*args, **kwargs):
        with timings.phase(name):
            return fn(*args, **kwargs)
    return run


def profile_gifts(app, bodies: list[tuple[bytes, str]], batch: int = 200) -> dict:
    """Book the gifts of ``bodies`` (``(body, Stripe-Signature)`` pairs) and time each phase.

    Returns ``{"single": {phase: ms}, "batch": {phase: ms per gift}, "batch_size": …,
    "statements_single": …, "statements_per_gift_in_batch": …}``. Books for real: run it on a
    scratch database whose donations are pending.
    """
    import stripe

    from core.extensions import db
    from donate import inbox

    secret = app.config["STRIPE_WEBHOOK_SECRET"]
    with app.app_context():
        before = Timings()
        events = []
        for body, signature in bodies:
            with before.phase("parse"):
                events.append(json.loads(body))
            with before.phase("verify signature"):
                stripe.WebhookSignature.verify_header(body.decode(), signature, secret, 300)
        single, many = Timings(), Timings()
        with instrumented(single):
            _book(db.session, inbox, events[:1], single, 1)
        with instrumented(many):
            _book(db.session, inbox, events[1:], many, batch)
        db.session.remove()
    rest = max(1, len(events) - 1)
    per_gift = {k: round(v / len(events), 3) for k, v in before.ms.items()}
    return {"single": {**per_gift, **{k: round(v, 3) for k, v in single.ms.items()}},
            "batch": {**per_gift, **{k: round(v / rest, 3) for k, v in many.ms.items()}},
            "batch_size": batch, "statements_single": single.statements,
            "statements_per_gift_in_batch": round(many.statements / rest, 1)}


def _book(session, inbox, events: list[dict], timings: Timings, batch: int) -> None:
    with timings.phase("store event (with its commit)"):
        for payload in events:
            inbox.store_event(session, payload)
            session.commit()
    cpu = time.process_time()
    with timings.phase("book (all of it)"):
        while inbox.book_pending(session, None, batch):
            pass
    # On a busy machine wall time includes waiting for a core; this process's CPU does not
    # (the database server's own CPU is not in it).
    timings.ms["book, CPU of this process"] += (time.process_time() - cpu) * 1000


def _scratch_app(url: str, gifts: int):
    """An app on ``url`` with the demo office, its live pledge and ``gifts`` pending gifts;
    returns ``(app, signed bodies)``."""
    from campaigns.demo import seed_office
    from campaigns.matching.demo import seed_matching
    from campaigns.services import campaign_by_slug
    from core.extensions import db
    from core.model import Base
    from donate.models import Donation
    from wsgi import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WANJIA_ENV": "development",
                      "BOOK_FEES_AT_SUCCESS": False, "STRIPE_WEBHOOK_SECRET": "whsec_profile",
                      "MATCHING_BURST_GIFTS": 0, "MATCHING_NEAR_MIN_GIFTS": 0})
    with app.app_context():
        Base.metadata.create_all(db.engine)  # a scratch database, never the real one
        seed_office(db.session)
        seed_matching(db.session)
        drive = campaign_by_slug(db.session, "wanren-juan")
        for n in range(gifts):
            db.session.add(Donation(campaign=drive, designation=drive.designations[n % 2],
                                    amount_fen=2_000 + n, stripe_payment_intent=f"pi_profile_{n}",
                                    email=f"donor{n % 500}@example.org"))
        db.session.commit()
        db.session.remove()
    return app, [_signed(n, 2_000 + n, "whsec_profile") for n in range(gifts)]


def _signed(n: int, amount: int, secret: str) -> tuple[bytes, str]:
    import stripe

    payload = {"id": f"evt_profile_{n}", "object": "event", "type": "payment_intent.succeeded",
               "data": {"object": {"id": f"pi_profile_{n}", "object": "payment_intent",
                                   "amount": amount, "status": "succeeded",
                                   "created": int(time.time())}}}
    body = json.dumps(payload)
    return body.encode(), stripe.WebhookSignature.generate_signature_header(body, secret)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gifts", type=int, default=201)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/profile.sqlite3"
        app, bodies = _scratch_app(url, args.gifts)
        result = profile_gifts(app, bodies, args.batch)
    print(f"{'phase':34} {'one event alone':>16} {'per gift, batch':>16}")
    for name in dict.fromkeys([*result["single"], *result["batch"]]):
        print(f"{name:34} {result['single'].get(name, 0):>13.2f} ms "
              f"{result['batch'].get(name, 0):>13.2f} ms")
    print(f"{'SQL statements':34} {result['statements_single']:>16} "
          f"{result['statements_per_gift_in_batch']:>16}")


if __name__ == "__main__":
    main()
