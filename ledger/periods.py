"""Accounting periods: calendar months that finance closes, and an admin may reopen.

Closing takes the ledger-wide posting lock, so no entry dated in the month can slip in
while the month is being closed; the database triggers refuse any that try afterwards.
Every close and reopen is recorded in ``period_events`` (who, when, why).
"""
import dataclasses
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.errors import ClosedPeriod, PeriodStateError
from ledger.models import Period, PeriodEvent, utcnow
from ledger.posting import EntryDraft, lock_ledger, post_entry

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
#: One state machine: which action is allowed from which status, and where it leads.
TRANSITIONS = {("open", "close"): "closed", ("closed", "reopen"): "open"}

#: The foundation's books are kept in its own time zone: a gift at 23:30 in Shanghai belongs
#: to that day (and that month, and that year's receipt numbers), whatever UTC says.
BOOKS_TZ = ZoneInfo("Asia/Shanghai")


def books_date(when: datetime | None = None) -> date:
    """The books' date of ``when`` (naive UTC, as stored) or of now."""
    aware = when.replace(tzinfo=timezone.utc) if when else datetime.now(timezone.utc)
    return aware.astimezone(BOOKS_TZ).date()


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The books' days ``start``..``end`` (inclusive) as naive-UTC instants [from, to)."""
    def utc(day: date) -> datetime:
        return datetime.combine(day, time(), BOOKS_TZ).astimezone(timezone.utc).replace(tzinfo=None)

    return utc(start), utc(end + timedelta(days=1))


def check_month(month: str) -> str:
    if not isinstance(month, str) or not _MONTH.match(month.strip()):
        raise PeriodStateError(f"A period is a month written YYYY-MM, not {month!r}.")
    return month.strip()


def period_status(session: Session, month: str) -> str:
    status = session.scalar(sa.select(Period.status).where(Period.month == check_month(month)))
    return status or "open"


def close_period(session: Session, month: str, *, by: str, reason: str = "") -> Period:
    """Close ``month`` to postings; flushes. Refuses a month that is already closed."""
    return _transition(session, month, "close", by, reason)


def reopen_period(session: Session, month: str, *, by: str, reason: str) -> Period:
    """Reopen a closed month (admins only: the caller checks the role); a reason is required."""
    if not (reason or "").strip():
        raise PeriodStateError("Reopening a period needs a reason; it is kept in the history.")
    return _transition(session, month, "reopen", by, reason)


def _transition(session, month, action, by, reason) -> Period:
    month = check_month(month)
    if not (by or "").strip():
        raise PeriodStateError("Say who is closing or reopening the period.")
    lock_ledger(session)
    period = session.get(Period, month, with_for_update=True, populate_existing=True)
    if period is None:
        period = Period(month=month, status="open")
        session.add(period)
    target = TRANSITIONS.get((period.status, action))
    if target is None:
        raise PeriodStateError(f"The period {month} is {period.status}; it cannot be "
                               f"{'closed' if action == 'close' else 'reopened'}.")
    period.status = target
    period.closed_at, period.closed_by = (utcnow(), by) if target == "closed" else (None, "")
    session.add(PeriodEvent(month=month, action=action, by=by.strip(), reason=reason.strip()))
    session.flush()
    return period


def period_history(session: Session, month: str | None = None) -> list[PeriodEvent]:
    query = sa.select(PeriodEvent).order_by(PeriodEvent.id)
    if month:
        query = query.where(PeriodEvent.month == check_month(month))
    return list(session.scalars(query))


# -- late items --------------------------------------------------------------------------------

def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def first_open_day(session: Session, day: date) -> date:
    """``day`` if its month is open, else the first day of the first open month after it."""
    while period_status(session, day.strftime("%Y-%m")) == "closed":
        day = next_month(day)
    return day


def post_in_open_month(session: Session, draft: EntryDraft):
    """Post ``draft``; if its month is closed, post it on the first day of the first open
    month after it, the memo saying where it belongs ("late: belongs to 2026-11"), so that
    a closed month's statements never change. Returns the entry."""
    try:
        return post_entry(session, draft)
    except ClosedPeriod as err:
        day = first_open_day(session, next_month(draft.date))
        late = dataclasses.replace(draft, date=day,
                                   memo=f"{draft.memo} (late: belongs to {err.month})"[:500])
        return post_entry(session, late)
