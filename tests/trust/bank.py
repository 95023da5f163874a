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
        #: Per operation name: how many runs of it were refused (the rest succeeded).
        self.refused_ops = Counter()
        self.checks, self.violations = 0, []
        self.lock = threading.Lock()
        self.pi_locks = {}
        self.events = itertools.count(1)
        self.wish_numbers = itertools.count(0)
        #: What the operations made besides their own work (wishes published to refill).
        self.made = Counter()
        #: This thread's operation: whether it was refused.
        self.current = threading.local()

    def pi_lock(self, pi: str) -> threading.Lock:
        with self.lock:
            return self.pi_locks.setdefault(pi, threading.Lock())

    def count(self, counter: Counter, name: str) -> None:
        with self.lock:
            counter[name] += 1
        if counter is self.refusals:
            self.current.refused = True

    def perform(self, name: str, operation, rng, client) -> None:
        """Run one operation and count it as succeeded or refused."""
        self.current.refused = False
        operation(self, rng, client)
        self.count(self.ops, name)
        if self.current.refused:
            self.count(self.refused_ops, name)

    def summary(self) -> list[str]:
        """One line per operation: how many ran, succeeded and were refused."""
        return [f"  {name}: {ran} run, {ran - self.refused_ops[name]} succeeded, "
                f"{self.refused_ops[name]} refused" for name, ran in sorted(self.ops.items())]

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
POOLED, WISHES = "wanren-juan", "dongri-nuanyang"

# -- the world the operations act on, beyond the demo office --------------------------------

#: Open wishes on the board at the start; a donor who finds fewer than WISH_LOW open makes
#: staff publish WISH_BATCH more (the board is replenished as wishes get funded).
WISH_BOARD, WISH_LOW, WISH_BATCH = 40, 8, 6
WISH_PRICES = ("45", "60", "98", "120", "150")
STREETS = ("LJZ", "JYXC", "HN", "ZQ", "NHXC")
#: A second, small pledge that goes first and runs out (and comes back as refunds return
#: capacity), beside the demo's ¥50,000 one.
SMALL_POOL_FEN = 300_000
LIAISON, APPROVER = "liaison@bank.example", "approver@bank.example"


def publish_wishes(session, count: int, n0: int = 0) -> int:
    """Staff publish ``count`` whole (not pooled) wishes on the wish drive; returns ``count``."""
    from campaigns.services import campaign_by_slug
    from campaigns.wishes import services

    drive = campaign_by_slug(session, WISHES)
    for n in range(n0, n0 + count):
        wish = services.create_wish(session, drive, services.WishInput(
            beneficiary=f"银行测试{n}", age_band="7–9岁", street=STREETS[n % len(STREETS)],
            category="study", item=f"书包{n}", price=WISH_PRICES[n % len(WISH_PRICES)]), "bank")
        services.verify_wish(session, wish, "bank")
        services.publish_wish(session, wish, "bank")
    return count


def add_small_pledge(session):
    """A live 1:1 pledge on the pooled drive: ¥3,000 pool, at most ¥500 a gift, priority 1."""
    from datetime import timedelta

    from campaigns.matching.services import (PledgeInput, change_pledge_status, create_pledge,
                                             create_sponsor)
    from campaigns.services import campaign_by_slug
    from core.auth import utcnow

    now = utcnow().replace(microsecond=0)
    sponsor = create_sponsor(session, name="银行测试配捐企业", display_name_zh="测试企业")
    pledge = create_pledge(session, sponsor, PledgeInput(
        campaigns=[campaign_by_slug(session, POOLED)], pool_fen=SMALL_POOL_FEN,
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
        cap_per_gift_fen=50_000, priority=1), "bank")
    change_pledge_status(session, pledge, "go_live", "bank")
    return pledge


def add_people(session) -> None:
    """A liaison of every street with a sub-fund, and a finance user to approve their asks."""
    from campaigns.homes.subfunds import add_liaison, list_subfunds, street_code_of
    from core.auth import create_user

    liaison = create_user(LIAISON, "correct horse battery", ("staff",))
    create_user(APPROVER, "correct horse battery", ("finance",))
    session.flush()
    for fund in list_subfunds(session):
        add_liaison(session, liaison, street_code_of(fund.code))


def prepare_world(app) -> None:
    """What the operations need beyond the demo office (see the constants above)."""
    def make():
        publish_wishes(db.session, WISH_BOARD)
        add_small_pledge(db.session)
        add_people(db.session)

    in_session(app, make)
