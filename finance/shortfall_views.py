"""Refund shortfalls: refunds and lost disputes of money a restricted fund had spent, which
the general fund covered (``donate.shortfall``). Finance officers acknowledge each one; the
month-end checklist fails while one of the month or before is not acknowledged. Auditors
read the list."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from core.access import AUDITOR, FINANCE, guard_blueprint, requires
from core.audit import record_audit
from core.extensions import db
from core.i18n import money
from donate.shortfall import RefundShortfall, acknowledge_shortfall, list_shortfalls, open_shortfalls
from finance.checklist import CheckResult, register_check

bp = Blueprint("shortfalls", __name__, url_prefix="/finance/refund-shortfalls")
guard_blueprint(bp, FINANCE)


class AcknowledgeForm(FlaskForm):
    """No field: the CSRF token is the whole form."""


@register_check("refund_shortfalls", _l("Refunds of money already spent are acknowledged"))
def check_refund_shortfalls(session, start: date, end: date) -> CheckResult:
    waiting = open_shortfalls(session, until=end)
    if waiting:
        total = sum(s.amount_fen for s in waiting)
        return CheckResult(False, _("Refunds of money a restricted fund had spent, covered by "
                                    "the general fund and not yet acknowledged: %(count)s "
                                    "(%(amount)s in all).", count=len(waiting),
                                    amount=money(total, waiting[0].currency)), "shortfalls.index")
    return CheckResult(True, _("No refund of spent money waits for acknowledgement."),
                       "shortfalls.index")


@bp.route("/")
@requires(FINANCE, AUDITOR)
def index():
    return render_template("finance/refund_shortfalls.html", shortfalls=list_shortfalls(db.session),
                           form=AcknowledgeForm())


@bp.route("/<int:shortfall_id>/acknowledge", methods=["POST"])
def acknowledge(shortfall_id: int):
    shortfall = db.session.get(RefundShortfall, shortfall_id) or abort(404)
    if not AcknowledgeForm().validate_on_submit():
        abort(400)
    if acknowledge_shortfall(db.session, shortfall, current_user.email):
        record_audit(db.session, current_user, "shortfall.acknowledge", shortfall, None,
                     {"amount": shortfall.amount_fen, "fund": shortfall.fund_code})
        db.session.commit()
        flash(_("Acknowledged."), "success")
    return redirect(url_for(".index"), 303)
