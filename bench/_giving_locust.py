"""The giving-day load, for ``locust --headless`` (started by ``bench.giving_server``; the
leading underscore keeps ``python -m bench`` from importing it, since locust patches the
standard library with gevent on import).

User classes, picked on the command line:

- ``WebhookUser``: posts a signed ``payment_intent.succeeded`` event for each PaymentIntent in
  the input, once each; a delivery answered with anything but 200 is sent again a little later,
  as Stripe would (counted as ``retries``).
- ``HelloFloor`` / ``WriteFloor``: the bare page and the bare one-row write, ``floor_requests``
  requests in all.
- ``CampaignReader``, ``HomeReader``, ``ProgressReader``, ``HelloReader``: readers that keep
  loading one page each until the senders are done.

The hosts come from the input (no ``--host``: it would override each class's own).
When every sender has finished, the run stops and every request's (start, ms, ok) goes to
the ``out`` file, by request name.
"""
import json
import os
import types
from collections import defaultdict, deque

import gevent
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

from bench.signing import signed_event

INPUT = json.loads(open(os.environ["WANJIA_BENCH_INPUT"], encoding="utf-8").read())
SENDERS = int(os.environ.get("WANJIA_BENCH_SENDERS", "32"))
READERS = int(os.environ.get("WANJIA_BENCH_READERS", "2"))
RESULTS = defaultdict(list)
ERRORS = defaultdict(int)
STATUSES = defaultdict(int)
STATE = {"intents": deque(INPUT.get("intents", [])), "budget": int(INPUT.get("floor_requests", 0)),
         "senders_left": SENDERS, "retries": 0, "lost": 0}
MAX_ATTEMPTS = 8


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None,
            start_time=None, response=None, **kw):
    RESULTS[name].append((start_time, round(response_time, 3), exception is None))
    STATUSES[f"{name} {getattr(response, 'status_code', None)}"] += 1
    if exception is not None:
        ERRORS[f"{name}: {str(exception)[:120]}"] += 1


@events.quitting.add_listener
def _write(environment, **kw):
    out = {"requests": RESULTS, "errors": ERRORS, "statuses": STATUSES,
           "retries": STATE["retries"], "lost": STATE["lost"]}
    with open(INPUT["out"], "w", encoding="utf-8") as fh:
        json.dump(out, fh)


class _Sender(FastHttpUser):
    """A user that works through a shared list and stops the run when the last one is done."""

    abstract = True
    host = INPUT["host"]
    wait_time = constant(0)
    fixed_count = SENDERS  # one sender class per run, so SENDERS of them in all

    def finish(self):
        STATE["senders_left"] -= 1
        if STATE["senders_left"] == 0:
            gevent.spawn_later(0.05, self.environment.runner.quit)
        raise StopUser()


class WebhookUser(_Sender):
    @task
    def deliver(self):
        if not STATE["intents"]:
            self.finish()
        pi, amount = STATE["intents"].popleft()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            body, header = signed_event(pi, amount, INPUT["secret"])
            with self.client.post("/stripe/webhook", data=body, name="webhook", catch_response=True,
                                  headers={"Stripe-Signature": header,
                                           "Content-Type": "application/json"}) as resp:
                if resp.status_code == 200:
                    return
                resp.failure(f"HTTP {resp.status_code}")
            STATE["retries"] += 1
            gevent.sleep(0.05 * attempt)
        STATE["lost"] += 1


class _FloorSender(_Sender):
    abstract = True

    def take(self) -> bool:
        if STATE["budget"] <= 0:
            self.finish()
        STATE["budget"] -= 1
        return True


class HelloFloor(_FloorSender):
    @task
    def hello(self):
        self.take()
        self.client.get("/_bench/hello", name="floor_hello")


class WriteFloor(_FloorSender):
    @task
    def write(self):
        self.take()
        body, _ = signed_event(f"pi_floor_{STATE['budget']:07d}", 10_000, INPUT["secret"])
        self.client.post("/_bench/write", data=body, name="floor_write",
                         headers={"Content-Type": "application/json"})


class _Reader(FastHttpUser):
    abstract = True
    #: Its own server when the pages have their own worker pool (``--page-workers``).
    host = INPUT.get("page_host") or INPUT["host"]
    wait_time = constant(0)
    fixed_count = READERS


def _reader(class_name: str, path: str, name: str) -> type:
    """A reader class that keeps loading ``path`` (``{slug}``: the matched drive)."""
    def page(self):
        self.client.get(path.format(slug=INPUT.get("slug", "")), name=name)

    return types.new_class(class_name, (_Reader,),
                           exec_body=lambda ns: ns.update(page=task(page), __module__=__name__))


CampaignReader = _reader("CampaignReader", "/c/{slug}", "campaign_page")
HomeReader = _reader("HomeReader", "/", "home_page")
ProgressReader = _reader("ProgressReader", "/api/v1/campaigns/{slug}", "progress_json")
HelloReader = _reader("HelloReader", "/_bench/hello", "hello_floor")
