"""The webhook inbox: every verified Stripe event is made durable first, then booked in
batches that share their locks and their commit (group commit).

Why: each gift's booking takes the ledger's chain-head lock, the year's receipt counter and
the matching pool's row. Booked one gift per transaction, gifts queue behind those locks one
at a time and pay a commit each. Here the request that stored an event books every pending
event it can claim, in one transaction, so the locks are waited for once per batch. Under
light load the batch is the request's own event and the webhook answers with its own outcome,
as before; at the peak, batches form by themselves while the previous one holds the locks.

**When the webhook answers.** After its event is committed here and one batch was tried. A
failure before the event is durable is a 5xx, so Stripe sends it again; after that it is 200
(``queued`` when another request's batch has it, ``will_retry`` when it failed): the inbox
owns the retry (``payments drain``, also run by ``payments sweep``), so a poisoned event never
turns into a loop of 500s and Stripe retries.

**Claiming.** PostgreSQL takes the oldest pending events ``FOR UPDATE SKIP LOCKED``: two
workers never wait for each other's events. SQLite has one writer; its lock is taken and the
claim read again under it. The batch's donations are then locked in id order *before* the
ledger's lock, the order every other booking path (pay, thank-you sync) takes.

**Failures.** A batch that fails is rolled back and its events are booked one per
transaction; an event that fails alone keeps ``attempts`` and ``last_error``, stays pending
and is left out of the webhook's batches: only the drain retries it, up to
``WEBHOOK_MAX_ATTEMPTS`` times. Write conflicts are retried first (:mod:`core.retry`).

These functions run transactions (they commit, through :func:`run_in_transaction`), like a
CLI command; what they run inside is :func:`donate.webhooks.process_event`, which only flushes.
"""
import json
import logging
import threading

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from core.auth import utcnow
from core.extensions import db
from core.retry import run_in_transaction
from donate.models import StripeEvent
from donate.services import lock_donations_of
from donate.webhooks import payment_intent_of, process_event
from ledger.posting import lock_ledger

log = logging.getLogger(__name__)

DUPLICATE, QUEUED, WILL_RETRY = "duplicate", "queued", "will_retry"
_PENDING = StripeEvent.processed_at.is_(None)
#: The PostgreSQL advisory lock that lets one inbox batch run at a time ("wanjia" in ASCII).
INBOX_LOCK_KEY = 0x77616E6A6961


def settings() -> tuple[int, int]:
    """``(WEBHOOK_BATCH, WEBHOOK_MAX_ATTEMPTS)`` from the app's config."""
    cfg = current_app.config
    return int(cfg.get("WEBHOOK_BATCH", 200)), int(cfg.get("WEBHOOK_MAX_ATTEMPTS", 10))


def store_event(session, event: dict) -> int | None:
    """Add a verified event to the inbox: its row id, or None for a replay. Flushes."""
    if session.scalar(sa.select(StripeEvent.id).filter_by(event_id=event["id"])):
        return None
    row = StripeEvent(event_id=event["id"], type=event.get("type", ""),
                      payload=json.dumps(event, sort_keys=True))
    session.add(row)
    session.flush()
    return row.id


def receive_event(session, gateway, event: dict) -> str:
    """The webhook's work: store ``event`` (committed), then book a batch of pending events.
    Returns the event's outcome, ``duplicate``, ``queued`` or ``will_retry``."""
    try:
        row_id = run_in_transaction(session, lambda: store_event(session, event))
    except IntegrityError:  # the same event delivered twice at once: the other one stored it
        row_id = None
    if row_id is None:
        log.info("stripe event %s (%s) replayed: ignored", event["id"], event.get("type"))
        return DUPLICATE
    size = settings()[0]
    outcomes = book_pending(session, gateway, size, own=row_id, wait=False)
    if row_id in outcomes:
        if len(outcomes) >= size:  # a full batch: more may be waiting behind it
            wake_booker(gateway)
        return outcomes[row_id]
    wake_booker(gateway)  # another batch holds the turn: this process's booker waits for it
    # Another request's batch had it: its outcome if that batch is done, else "queued".
    done = session.scalar(sa.select(StripeEvent.outcome).where(
        StripeEvent.id == row_id, StripeEvent.processed_at.is_not(None)))
    return done or QUEUED


def book_pending(session, gateway, limit: int, ids=None, own: int | None = None,
                 wait: bool = True) -> dict[int, str]:
    """Book up to ``limit`` pending events (``own`` and the oldest never-failed ones, or
    exactly ``ids``) in one transaction; one per transaction if that fails.
    ``{row id: outcome}``; empty when ``wait`` is false and another batch holds the turn."""
    claimed: list[int] = []
    try:
        return run_in_transaction(
            session, lambda: _book_claimed(session, gateway, claimed, limit, ids, own, wait))
    except Exception as err:  # noqa: BLE001 - whatever one event raised, the others go on
        if len(claimed) <= 1:
            return _record_failures(session, claimed, err)
        log.warning("inbox batch of %s events failed (%s): booking them one by one",
                    len(claimed), err)
    out = {}
    for row_id in claimed:
        out.update(_book_alone(session, gateway, row_id))
    return out


def drain_inbox(session, gateway, batch: int | None = None) -> dict[str, int]:
    """Book every pending event that has attempts left (those the webhook could not, or that
    failed before), each once per call. ``{"processed", "failed", "given_up"}``."""
    size, max_attempts = settings()
    batch = batch or size
    ids = list(session.scalars(sa.select(StripeEvent.id).where(
        _PENDING, StripeEvent.attempts < max_attempts).order_by(StripeEvent.id)))
    session.rollback()
    processed = failed = 0
    for start in range(0, len(ids), batch):
        outcomes = book_pending(session, gateway, batch, ids[start:start + batch])
        failed += sum(1 for o in outcomes.values() if o == WILL_RETRY)
        processed += sum(1 for o in outcomes.values() if o != WILL_RETRY)
    given_up = session.scalar(sa.select(sa.func.count()).select_from(StripeEvent).where(
        _PENDING, StripeEvent.attempts >= max_attempts))
    session.rollback()
    return {"processed": processed, "failed": failed, "given_up": int(given_up)}


def claim_events(session, limit: int | None, ids=None, own: int | None = None) -> list[StripeEvent]:
    """Pending events, oldest first, locked for this transaction (PostgreSQL skips those
    another transaction holds). Without ``ids``: only events that never failed, ``own``
    first whatever its age, so that no request leaves its own event behind."""
    query = sa.select(StripeEvent).where(_PENDING)
    if ids is not None:
        query = query.where(StripeEvent.id.in_(list(ids)))
    else:
        query = query.where(StripeEvent.attempts == 0)
    if own is not None:
        query = query.order_by(sa.case((StripeEvent.id == own, 0), else_=1))
    query = query.order_by(StripeEvent.id)
    if limit:
        query = query.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = session.scalars(query.execution_options(populate_existing=True))
    return sorted(rows, key=lambda row: row.id)


def _book_claimed(session, gateway, claimed: list[int], limit, ids, own=None,
                  wait: bool = True) -> dict[int, str]:
    if not _take_turn(session, wait):
        return {}
    rows = claim_events(session, limit, ids, own)
    if rows and session.get_bind().dialect.name == "sqlite":
        lock_ledger(session)  # the one writer lock first; then read the claim under it
        rows = claim_events(session, limit, ids, own)
    claimed[:] = [row.id for row in rows]
    if not rows:
        return {}
    events = [json.loads(row.payload) for row in rows]
    lock_donations_of(session, {pi for pi in map(payment_intent_of, events) if pi})
    now = utcnow()
    for row, event in zip(rows, events):
        row.outcome = process_event(session, gateway, event)
        row.processed_at = now
    session.flush()
    return {row.id: row.outcome for row in rows}




def _take_turn(session, wait: bool) -> bool:
    """PostgreSQL at read committed: one batch at a time, before claiming, so that the
    events stored while a batch runs wait for the next one instead of each claiming only
    itself and queueing on the ledger's lock alone (which would be no batching at all).

    The lock is outside every booking lock order (taken first, by batches only), so it adds
    no deadlock. At repeatable read or serializable it is skipped: a wait at a transaction's
    first statement keeps that statement's snapshot, and the batch would always conflict;
    SKIP LOCKED then keeps batches apart. SQLite's writer lock does the same job there.

    A webhook does not wait (``wait`` false): when another batch holds the turn, its request
    answers at once and leaves the event to its process's booker (:func:`wake_booker`), so a
    worker's threads stay free for the public pages during the peak.
    """
    snapshot = current_app.config.get("DB_ISOLATION", "read committed") != "read committed"
    if session.get_bind().dialect.name != "postgresql" or snapshot:
        return True
    if wait:
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": INBOX_LOCK_KEY})
        return True
    return bool(session.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:key)"),
                               {"key": INBOX_LOCK_KEY}))


# -- the booker: one thread per process, while events wait ----------------------------------

_BOOKER = threading.Condition()
#: ``running``: a booker thread is alive in this process; ``wakeups``: bumped by every event
#: handed to it, so that a booker about to stop sees an event stored while it drained.
_booker_state = {"running": False, "wakeups": 0}


def wake_booker(gateway) -> None:
    """Make sure this process has a booker draining the inbox (events that never failed),
    waiting its turn between batches. Its request has already committed its event, so the
    booker's next claim sees it: no event is left behind by a webhook that did not wait."""
    with _BOOKER:
        _booker_state["wakeups"] += 1
        if _booker_state["running"]:
            return
        _booker_state["running"] = True
    app = current_app._get_current_object()
    threading.Thread(target=_run_booker, args=(app, gateway), name="inbox-booker",
                     daemon=True).start()


def _run_booker(app, gateway) -> None:
    with app.app_context():
        try:
            _drain_while_woken(gateway)
        except Exception:  # noqa: BLE001 - what is left waits for `payments drain`
            log.exception("inbox booker stopped")
            with _BOOKER:
                _booker_state["running"] = False
                _BOOKER.notify_all()
        finally:
            db.session.remove()


def _drain_while_woken(gateway) -> None:
    """Book batches until a whole pass found nothing new; stop under the same lock that
    :func:`wake_booker` checks, so that a wake-up is never lost between the two."""
    while True:
        with _BOOKER:
            seen = _booker_state["wakeups"]
        while book_pending(db.session, gateway, settings()[0]):
            pass
        with _BOOKER:
            if _booker_state["wakeups"] == seen:
                _booker_state["running"] = False
                _BOOKER.notify_all()
                return


def wait_for_booker(timeout: float = 30.0) -> bool:
    """Wait until this process's booker has stopped (nothing it was given still waits);
    False on timeout. For the CLI and tests, which look at the books afterwards."""
    with _BOOKER:
        return _BOOKER.wait_for(lambda: not _booker_state["running"], timeout)


def _book_alone(session, gateway, row_id: int) -> dict[int, str]:
    try:
        return run_in_transaction(session, lambda: _book_claimed(session, gateway, [], 1, [row_id]))
    except Exception as err:  # noqa: BLE001 - recorded on the event; the drain retries it
        return _record_failures(session, [row_id], err)


def _record_failures(session, row_ids: list[int], err: Exception) -> dict[int, str]:
    if not row_ids:  # nothing was claimed: the events stay pending for the next batch
        log.error("inbox batch could not start: %r", err)
        return {}
    log.error("stripe event row(s) %s could not be processed: %r", row_ids, err)
    run_in_transaction(session, lambda: session.execute(
        sa.update(StripeEvent).where(StripeEvent.id.in_(row_ids))
        .values(attempts=StripeEvent.attempts + 1, last_error=repr(err)[:500])
        .execution_options(synchronize_session=False)))
    return {row_id: WILL_RETRY for row_id in row_ids}
