"""Run a unit of work in its own transaction, again when the database says a concurrent
writer won.

PostgreSQL at SERIALIZABLE (and the PostgreSQL-compatible distributed engines, which run
nothing else) refuses a transaction whose reads another one has since changed: SQLSTATE 40001
(serialization_failure), or 40P01 when it broke a deadlock. SQLite says "database is locked"
when its one writer lock stayed taken past the busy timeout. In all three cases nothing was
written, and the right answer is to roll back and run the whole unit again from its reads.
Any other error is the caller's: it is re-raised at once, never retried.

The work must be safe to repeat: it re-reads what it decides on (a rollback expires every
loaded object) and does not call out to anything that cannot be undone.
"""
import logging
import random
import threading
import time
from collections import Counter

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import scoped_session

log = logging.getLogger(__name__)

#: serialization_failure and deadlock_detected.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})
#: What SQLite's busy writer lock says.
SQLITE_BUSY = ("database is locked", "database table is locked")
DEFAULT_ATTEMPTS = 8
#: Retries made in this process, by cause (SQLSTATE, or "sqlite_busy"): for the benchmark and
#: the gift profile, which report how often writers collided.
RETRIES: Counter = Counter()
_RETRIES_LOCK = threading.Lock()


def conflict_cause(err: BaseException) -> str | None:
    """Why ``err`` (a SQLAlchemy or driver error) means "a concurrent write won, run again":
    the SQLSTATE, or ``sqlite_busy``; None for any other error."""
    orig = getattr(err, "orig", None) or err
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in RETRY_SQLSTATES:
        return sqlstate
    busy = type(orig).__module__.startswith("sqlite3") and any(
        text in str(orig) for text in SQLITE_BUSY)
    return "sqlite_busy" if busy else None


def is_retryable(err: BaseException) -> bool:
    return conflict_cause(err) is not None


def backoff(attempt: int, base: float = 0.005, cap: float = 0.5) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential with full jitter, so that
    the transactions that collided do not collide again in step."""
    return random.uniform(0, min(cap, base * 2 ** attempt))  # noqa: S311 - not for secrets


def run_in_transaction(session, work, attempts: int = DEFAULT_ATTEMPTS, on_retry=None):
    """Run ``work()`` and commit ``session``; on a retryable conflict roll back, wait a jittered
    moment and run it again, at most ``attempts`` times in all. Returns what ``work`` returned.

    ``on_retry(attempt, err)`` is called before each new attempt (tests count retries with it).
    A non-retryable error, or the last conflict, rolls back and propagates.
    """
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            session.commit()
            return result
        except DBAPIError as err:
            session.rollback()
            cause = conflict_cause(err)
            if cause is None or attempt == attempts:
                raise
            with _RETRIES_LOCK:
                RETRIES[cause] += 1
            log.info("write conflict, retrying (attempt %s of %s): %s", attempt, attempts,
                     str(err.orig).splitlines()[0] if err.orig else err)
            if on_retry is not None:
                on_retry(attempt, err)
            time.sleep(backoff(attempt))
        except BaseException:
            session.rollback()
            raise
    raise AssertionError("unreachable")  # pragma: no cover



def per_transaction(session, name: str) -> dict:
    """A dict that lives as long as ``session``'s current transaction: what a batch has
    already locked, so that the next gift of the batch need not lock (and read) it again.
    A commit or rollback starts a new transaction, and with it an empty dict; so does a
    savepoint (PostgreSQL releases the locks a rolled-back savepoint took)."""
    if isinstance(session, scoped_session):
        session = session()
    txn = session.get_nested_transaction() or session.get_transaction()
    if txn is None:  # nothing locked yet: and a dict kept now would outlive what it is about
        return {}
    held = session.info.get(name)
    if held is None or held[0] is not txn:
        held = session.info[name] = (txn, {})
    return held[1]
