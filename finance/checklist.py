"""The month-end close checklist: each finance module registers the checks it owns.

A check is a function ``(session, period_start, period_end) -> CheckResult``: the first and
the last day of the month (both inclusive, books' dates). It runs inside a request (it may
use ``current_app`` and ``gettext``) and must not write. The close page lists the checks in
registration order and the close action refuses while any fails. Modules register at
import time (``finance.stripe_report``, ``finance.close_checks``, the bank module …), so the
checklist needs no knowledge of them; ``finance.close_views`` imports the ones it knows.
"""
import dataclasses
from datetime import date
from typing import Callable


@dataclasses.dataclass(frozen=True)
class CheckResult:
    ok: bool
    #: One line for the page, in the user's language (already translated).
    detail: str = ""
    #: Where to go to fix it (an endpoint name), if anywhere. The close page builds it with
    #: ``url_for(endpoint, month="YYYY-MM")``, so it must need no other argument.
    endpoint: str | None = None


@dataclasses.dataclass(frozen=True)
class Check:
    key: str
    #: A lazy string: the line on the checklist.
    label: object
    run: Callable[..., CheckResult]


CHECKS: dict[str, Check] = {}


def register_check(key: str, label):
    """Decorator: ``@register_check("bank_reconciled", _l("Bank accounts reconciled"))``."""
    def wrap(fn):
        CHECKS[key] = Check(key, label, fn)
        return fn
    return wrap


def run_checks(session, start: date, end: date) -> list[tuple[Check, CheckResult]]:
    return [(check, check.run(session, start, end)) for check in CHECKS.values()]
