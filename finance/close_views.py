"""The month-end close page: every registered check with pass or fail and where to fix it,
and the close action that locks the month once all pass.

Finance closes; auditors may read the checklist. Importing the checks' modules here puts
them on the checklist (and their tables in the schema) when the app is built.
"""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.access import AUDITOR, FINANCE, guard_blueprint, requires
from core.audit import record_audit
from core.extensions import db
from finance import stripe_report  # noqa: F401 - registers the Stripe checks
from finance import close_checks  # noqa: F401 - registers held matches and ledger verify, last
from finance.close import (CloseRefused, close_month, failed_checks, month_bounds,
                           month_checklist)
from ledger.errors import PeriodStateError
from ledger.forms import ClosePeriodForm
from ledger.periods import period_status
from ledger.views import CLOSE_GUARDS

bp = Blueprint("finance_close", __name__, url_prefix="/finance/close")
# The ledger's own period page runs the checklist too before it closes a month.
bp.record_once(lambda state: state.app.extensions.setdefault(CLOSE_GUARDS, []).append(failed_checks))
guard_blueprint(bp, FINANCE)


def _valid_month(month: str) -> str:
    try:
        month_bounds(month)
    except PeriodStateError:
        abort(404)
    return month


def _render(month: str, form, code=200):
    return render_template("finance/close.html", month=month, form=form,
                           status=period_status(db.session, month),
                           results=month_checklist(db.session, month)), code


@bp.route("/")
@requires(FINANCE, AUDITOR)
def index():
    return redirect(url_for(".checklist", month=date.today().strftime("%Y-%m")))


@bp.route("/<month>")
@requires(FINANCE, AUDITOR)
def checklist(month: str):
    return _render(_valid_month(month), ClosePeriodForm())


@bp.route("/<month>", methods=["POST"])
def close(month: str):
    month, form = _valid_month(month), ClosePeriodForm()
    if not form.validate_on_submit():
        return _render(month, form, 400)
    try:
        close_month(db.session, month, by=current_user.email, reason=form.reason.data or "")
        record_audit(db.session, current_user, "period.close", ("period", month),
                     {"status": "open"}, {"status": "closed", "through": "checklist"})
    except CloseRefused as err:
        db.session.rollback()
        flash(_("%(month)s cannot be closed while these checks fail: %(checks)s.", month=month,
                checks="; ".join(str(check.label) for check, _result in err.failed)), "error")
        return _render(month, form, 409)
    except PeriodStateError:
        db.session.rollback()
        flash(_("The period %(month)s is already closed.", month=month), "error")
        return _render(month, form, 409)
    db.session.commit()
    flash(_("The period %(month)s is closed.", month=month), "success")
    return redirect(url_for(".checklist", month=month), 303)
