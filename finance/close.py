"""Month-end close: run the checklist, refuse while a check fails, lock the period.

Late items (an entry whose month is already closed) go through
:func:`ledger.periods.post_in_open_month`, so the closed month's statements never change.
"""
import calendar
from datetime import date

from ledger.periods import check_month, close_period

from finance.checklist import run_checks


class CloseRefused(Exception):
    """The month cannot be closed; ``failed`` are the checklist lines that fail."""

    def __init__(self, month: str, failed: list):
        super().__init__(f"{month}: {len(failed)} checks fail")
        self.month, self.failed = month, failed


def month_bounds(month: str) -> tuple[date, date]:
    """The first and the last day (inclusive) of ``YYYY-MM``; PeriodStateError if malformed."""
    year, mon = (int(part) for part in check_month(month).split("-"))
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def month_checklist(session, month: str):
    """``[(check, result), …]`` for ``month``, in registration order."""
    start, end = month_bounds(month)
    return run_checks(session, start, end)


def close_month(session, month: str, *, by: str, reason: str = ""):
    """Close ``month`` if every check passes; :class:`CloseRefused` names those that fail.

    Flushes, never commits. The checks run before the period lock is taken: a posting that
    slips in between is dated in an open month by the ledger's own refusal afterwards.
    """
    failed = [(check, result) for check, result in month_checklist(session, month)
              if not result.ok]
    if failed:
        raise CloseRefused(month, failed)
    return close_period(session, month, by=by, reason=reason)


def failed_checks(session, month: str) -> list[str]:
    """The labels of ``month``'s failing checks (the ledger period page's close guard)."""
    return [str(check.label) for check, result in month_checklist(session, month)
            if not result.ok]
