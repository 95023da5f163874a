"""Stripe reconciliation pages: import a report or fetch from Stripe, the lines, the payouts
with their split per fund, and the unmatched report of a month.

Finance officers act; auditors may read every GET page. Each view parses, calls one service,
commits once and renders or redirects; a refused file writes nothing.
"""
import dataclasses
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.access import AUDITOR, FINANCE, guard_blueprint, requires
from core.audit import record_audit
from core.extensions import db
from core.i18n import money
from donate.stripe_gateway import GatewayError, StripeGateway
from finance import stripe_forms as forms
from finance.close import month_bounds
from finance.stripe_csv import StripeFileError
from finance.stripe_fetch import fetch_stripe_activity
from finance.stripe_models import StripeBalanceLine, StripePayout
from finance.stripe_recon import import_stripe_csv, payout_lines, payout_split
from finance.stripe_report import reason_text, reconciliation_summary
from ledger.errors import LedgerError, PeriodStateError
from ledger.periods import utc_bounds
from ledger.views import ledger_message

bp = Blueprint("finance_stripe", __name__, url_prefix="/finance/stripe")
guard_blueprint(bp, FINANCE)
READERS = (FINANCE, AUDITOR)
LINE_FILTERS = ("all", "matched", "unmatched")


def _month() -> tuple[str, date, date]:
    """The ``?month=YYYY-MM`` asked for (this month by default), and its first and last day."""
    month = request.args.get("month") or date.today().strftime("%Y-%m")
    try:
        return (month, *month_bounds(month))
    except PeriodStateError:
        abort(404)


def _index(import_form=None, fetch_form=None, problems=(), code=200):
    month, start, end = _month()
    return render_template(
        "finance/stripe_index.html", month=month, problems=problems,
        import_form=import_form or forms.ImportForm(), fetch_form=fetch_form or forms.FetchForm(),
        summary=reconciliation_summary(db.session, start, end)), code


@bp.route("/")
@requires(*READERS)
def index():
    return _index()


@bp.route("/import", methods=["POST"])
def import_csv():
    form = forms.ImportForm()
    if not form.validate_on_submit():
        return _index(import_form=form, code=400)
    data = form.file.data.read(forms.MAX_UPLOAD_BYTES + 1)
    try:
        if len(data) > forms.MAX_UPLOAD_BYTES:
            raise StripeFileError([_("The file is larger than 20 MB; export a shorter range.")])
        result = import_stripe_csv(db.session, data)
        record_audit(db.session, current_user, "stripe.import", None, None,
                     dataclasses.asdict(result) | {"file": form.file.data.filename})
        db.session.commit()
    except (StripeFileError, LedgerError, sa.exc.IntegrityError) as err:
        db.session.rollback()
        return _index(import_form=form, problems=_problems(err), code=400)
    _flash_result(result)
    return redirect(url_for(".unmatched"), 303)


def _problems(err) -> list:
    """A refusal as the list of messages the import page shows."""
    if isinstance(err, StripeFileError):
        return err.problems
    if isinstance(err, LedgerError):
        return [ledger_message(err)]
    # Two imports of the same lines at once: the unique id refused the second.
    return [_("The same lines were being imported at the same moment; nothing was written. "
              "Try again.")]


@bp.route("/fetch", methods=["POST"])
def fetch():
    form = forms.FetchForm()
    if not form.validate_on_submit():
        return _index(fetch_form=form, code=400)
    gateway = StripeGateway.from_config(current_app.config)
    try:
        result = fetch_stripe_activity(db.session, gateway, form.start.parsed, form.end.parsed)
        record_audit(db.session, current_user, "stripe.fetch", None, None,
                     {"from": form.start.parsed, "to": form.end.parsed, "result": str(result)})
        db.session.commit()
    except GatewayError as err:
        db.session.commit()  # the pages read so far and where to resume
        flash(_("Stripe stopped answering: %(error)s Fetch again to resume.",
                error=err.message), "error")
        return redirect(url_for(".index"), 303)
    except (LedgerError, sa.exc.IntegrityError) as err:
        db.session.rollback()
        return _index(fetch_form=form, problems=_problems(err), code=409)
    _flash_result(result)
    return redirect(url_for(".unmatched", month=form.start.parsed.strftime("%Y-%m")), 303)


def _flash_result(result) -> None:
    flash(_("%(new)s new lines, %(seen)s already imported; %(payouts)s payouts booked; "
            "%(unmatched)s lines unmatched.", new=result.new, seen=result.seen,
            payouts=result.payouts_posted, unmatched=result.unmatched), "success")


@bp.route("/lines")
@requires(*READERS)
def lines():
    month, start, end = _month()
    status = request.args.get("status", "all")
    if status not in LINE_FILTERS:
        abort(404)
    low, high = utc_bounds(start, end)
    query = (sa.select(StripeBalanceLine).order_by(StripeBalanceLine.created_utc)
             .where(StripeBalanceLine.created_utc >= low, StripeBalanceLine.created_utc < high))
    if status != "all":
        query = query.where(StripeBalanceLine.status == status)
    return render_template("finance/stripe_lines.html", month=month, status=status,
                           filters=LINE_FILTERS, lines=db.session.scalars(query).all())


@bp.route("/payouts")
@requires(*READERS)
def payouts():
    month, start, end = _month()
    low, high = utc_bounds(start, end)
    found = db.session.scalars(sa.select(StripePayout).order_by(StripePayout.effective_utc)
                               .where(StripePayout.effective_utc >= low,
                                      StripePayout.effective_utc < high)).all()
    splits = {p.payout_id: payout_split(payout_lines(db.session, p.payout_id)) for p in found}
    return render_template("finance/stripe_payouts.html", month=month, payouts=found,
                           splits=splits)


@bp.route("/unmatched")
@requires(*READERS)
def unmatched():
    month, start, end = _month()
    summary = reconciliation_summary(db.session, start, end)
    reasons = [reason_text(item, money) for item in summary.items]
    return render_template("finance/stripe_unmatched.html", month=month, summary=summary,
                           rows=list(zip(summary.items, reasons)))
