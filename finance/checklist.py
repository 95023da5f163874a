"""The month-end close checklist: each finance module registers the checks it owns.

A check is a function ``(session, period_start, period_end) -> CheckResult``; the close page
lists them in registration order and the close action refuses while any fails. Modules
register at import time (``finance.stripe_recon``, ``finance.bank`` …), so the checklist
needs no knowledge of them.
"""
import dataclasses
from datetime import date
from typing import Callable


@dataclasses.dataclass(frozen=True)
class CheckResult:
    ok: bool
    #: One line for the page, in the user's language (already translated).
    detail: str = ""
    #: Where to go to fix it (an endpoint name), if anywhere.
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
