"""The month-end checks that belong to no single finance module: matching pledges left on
hold, and the ledger's own verification. Imported after the modules' own checks, so that
they come last on the checklist."""
import importlib
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from finance.checklist import CheckResult, register_check
from ledger.verify import verify_ledger

DEFAULT_HELD_MATCH_DAYS = 7


def _held_matches_service():
    """``campaigns.matching.services.held_matches`` if that module provides it, else None."""
    try:
        module = importlib.import_module("campaigns.matching.services")
    except ImportError:
        return None
    return getattr(module, "held_matches", None)


@register_check("held_matches", _l("No matches held longer than the allowed days"))
def check_held_matches(session, start: date, end: date) -> CheckResult:
    days = int(current_app.config.get("FINANCE_HELD_MATCH_DAYS", DEFAULT_HELD_MATCH_DAYS))
    held_matches = _held_matches_service()
    if held_matches is None:
        # Fail closed: a month must not close on a check that could not run.
        return CheckResult(False, _("The matching service cannot list held matches; "
                                    "this check cannot run."))
    held = list(held_matches(session, older_than_days=days))
    if held:
        return CheckResult(False, _("%(count)s matches have been held for more than %(days)s "
                                    "days.", count=len(held), days=days))
    return CheckResult(True, _("No match held for more than %(days)s days.", days=days))


@register_check("ledger_verified", _l("Ledger verification is clean"))
def check_ledger_verified(session, start: date, end: date) -> CheckResult:
    problems = verify_ledger(session)
    if problems:
        return CheckResult(False, _("%(count)s problems; the first: %(first)s",
                                    count=len(problems), first=problems[0]))
    return CheckResult(True, _("The hash chain and every invariant hold."))
