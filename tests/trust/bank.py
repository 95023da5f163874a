"""The bank workload (after Jepsen's "bank"), for a charity: a fake payment processor that
keeps its own books, the operations threads draw at random, and the invariants checked
between rounds. ``test_bank.py`` runs it; to add an operation, write ``op_name(run, rng)``
and give it a weight in ``OPERATIONS``.

Everything money-related goes through the real paths: gifts and refunds arrive as signed
Stripe events posted to ``/stripe/webhook`` (the app's gateway is this processor), wishes
are reserved and purchased, packs delivered and periods closed by the services."""
import itertools
import json
import threading
import time
from collections import Counter
from datetime import date

from core.extensions import db

SECRET = "whsec_bank_test"


class Processor:
    """What "Stripe" holds for us: charges, refunds and disputes per PaymentIntent."""

    def __init__(self):
        self.lock = threading.Lock()
        self.intents = {}  # pi id → {"amount", "refunded", "disputed", "status"}
        self.ids = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        with self.lock:
            return f"{prefix}_bank{next(self.ids)}"

    def charge(self, pi: str, amount: int) -> None:
        with self.lock:
            self.intents[pi] = {"amount": amount, "refunded": 0, "disputed": 0, "status": "succeeded"}

    def refund(self, pi: str, wanted: int) -> int:
        """Refund up to ``wanted`` of what is left; the amount refunded (0: nothing left)."""
        with self.lock:
            it = self.intents[pi]
            amount = min(wanted, it["amount"] - it["refunded"] - it["disputed"])
            it["refunded"] += max(amount, 0)
            return max(amount, 0)

    def dispute(self, pi: str) -> int:
        with self.lock:
            it = self.intents[pi]
            amount = 0 if it["disputed"] else it["amount"] - it["refunded"]
            it["disputed"] = amount
            return amount

    def settle_dispute(self, pi: str, won: bool) -> None:
        with self.lock:
            if won:
                self.intents[pi]["disputed"] = 0
            else:  # the money left for good: count it as gone
                it = self.intents[pi]
                it["refunded"] += it["disputed"]
                it["disputed"] = 0

    def balance(self) -> int:
        """What the processor owes us: charged − refunded − held in disputes."""
        with self.lock:
            return sum(i["amount"] - i["refunded"] - i["disputed"] for i in self.intents.values())

    # -- the gateway methods the webhook path calls --

    def retrieve_payment_intent(self, pi: str) -> dict:
        with self.lock:
            found = self.intents.get(pi)
        return {"id": pi, "object": "payment_intent", "status": found["status"] if found else
                "requires_payment_method", "created": int(time.time()), "latest_charge": None}

    def charge_facts(self, _pi: dict) -> tuple[int, str]:
        return 0, ""  # no fee, and no card: the donor's email stands in


class Run:
    """One bank test run: the app, the processor, counters and what was seen to go wrong."""

    def __init__(self, app, processor: Processor, seed: int):
        self.app, self.processor, self.seed = app, processor, seed
        self.ops, self.faults, self.refusals = Counter(), Counter(), Counter()
        self.checks, self.violations = 0, []
        self.lock = threading.Lock()
        self.pi_locks = {}
        self.events = itertools.count(1)

    def pi_lock(self, pi: str) -> threading.Lock:
        with self.lock:
            return self.pi_locks.setdefault(pi, threading.Lock())

    def count(self, counter: Counter, name: str) -> None:
        with self.lock:
            counter[name] += 1

    def post_event(self, client, kind: str, obj: dict, duplicate: bool = False) -> dict:
        """Sign and post one event, as Stripe would: retried on a 5xx, sent twice if asked."""
        import stripe

        payload = json.dumps({"id": f"evt_bank{next(self.events)}", "object": "event", "type": kind,
                              "created": int(time.time()), "data": {"object": obj}})
        header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
        for attempt in range(2 if duplicate else 1):
            for _retry in range(5):
                resp = client.post("/stripe/webhook", data=payload,
                                   headers={"Stripe-Signature": header, "Content-Type": "application/json"})
                if resp.status_code < 500:
                    break
                self.count(self.faults, "event retried after a 5xx")
            else:
                self.violations.append(f"{kind} for {obj.get('payment_intent') or obj.get('id')} "
                                       f"never accepted: {resp.get_data(as_text=True)[:300]}")
            if attempt:
                self.count(self.faults, "duplicate event")
        return resp.get_json() or {}


def in_session(app, work):
    """``work()`` in its own app context and session, committed; rolled back on error."""
    with app.app_context():
        try:
            result = work()
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def pick(session, query, rng):
    rows = list(session.scalars(query.limit(200)))
    return rng.choice(rows) if rows else None


DAY = date(2026, 1, 18)
CLOSABLE_MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04")
