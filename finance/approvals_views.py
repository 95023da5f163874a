"""Approval pages: a finance user prepares an entry for an unmatched bank line, a second one
approves or rejects it. Auditors may read the list. The preparer's own approval is refused
by the service, whatever the page shows."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from campaigns.models import Campaign, Designation
from core.access import AUDITOR, FINANCE, guard_blueprint, requires
from core.extensions import db
from finance import approvals_forms as forms
from finance.approvals import (ApprovalError, EntryRequest, approve_entry, pending_requests,
                               propose_entry, reject_entry)
from finance.bank_match import MatchError
from finance.bank_models import BankLine
from ledger.errors import LedgerError
from ledger.views import ledger_message

bp = Blueprint("approvals", __name__, url_prefix="/finance/approvals")
guard_blueprint(bp, FINANCE)


def _designations() -> list[tuple[int, str]]:
    locale = str(get_locale())
    rows = db.session.execute(sa.select(Designation, Campaign).join(Campaign)
                              .where(Campaign.kind == "pooled")
                              .order_by(Campaign.id, Designation.position)).all()
    return [(d.id, f"{c.title(locale)} — {d.label(locale)}") for d, c in rows]


def _index(code=200, reject_form=None, failed_id=None, problem=None):
    return render_template("finance/approvals.html", requests=pending_requests(db.session),
                           approve_form=forms.ApproveForm(),
                           reject_form=reject_form or forms.RejectForm(), failed_id=failed_id,
                           problem=problem, kinds=forms.KIND_LABELS,
                           statuses=forms.STATUS_LABELS), code


@bp.route("/")
@requires(FINANCE, AUDITOR)
def index():
    return _index()


@bp.route("/lines/<int:line_id>", methods=["GET", "POST"])
def prepare(line_id: int):
    line = db.session.get(BankLine, line_id) or abort(404)
    form = forms.PrepareEntryForm()
    form.designation.choices = [(0, "—")] + _designations()
    if form.validate_on_submit():
        designation = db.session.get(Designation, form.designation.data or 0)
        details = {"designation_id": form.designation.data,
                   "campaign_id": designation.campaign_id if designation else 0,
                   "donor_name": form.donor_name.data or "", "email": form.email.data or ""}
        try:
            propose_entry(db.session, line, kind=form.kind.data, actor=current_user,
                          memo=form.memo.data or "", details=details)
        except ApprovalError as err:
            db.session.rollback()
            getattr(form, err.field or "kind", form.kind).errors.append(err.message)
        else:
            db.session.commit()
            flash(_("The entry waits for a second finance user's approval."), "success")
            return redirect(url_for(".index"), 303)
    return render_template("finance/approval_prepare.html", line=line, form=form), (
        400 if form.errors else 200)


def _request_or_404(req_id: int) -> EntryRequest:
    return db.session.get(EntryRequest, req_id) or abort(404)


@bp.route("/<int:req_id>/approve", methods=["POST"])
def approve(req_id: int):
    req = _request_or_404(req_id)
    if not forms.ApproveForm().validate_on_submit():
        abort(400)
    try:
        approve_entry(db.session, req, actor=current_user)
        db.session.commit()
    except (ApprovalError, MatchError, LedgerError, sa.exc.IntegrityError) as err:
        db.session.rollback()
        message = ledger_message(err) if isinstance(err, LedgerError) else getattr(
            err, "message", _("Someone decided or matched this at the same moment."))
        return _index(409, failed_id=req_id, problem=message)
    flash(_("Approved: entry %(entry)s was posted and matched.", entry=req.entry_id), "success")
    return redirect(url_for(".index"), 303)


@bp.route("/<int:req_id>/reject", methods=["POST"])
def reject(req_id: int):
    req, form = _request_or_404(req_id), forms.RejectForm()
    if not form.validate_on_submit():
        return _index(400, form, req_id)
    try:
        reject_entry(db.session, req, actor=current_user, reason=form.reason.data)
        db.session.commit()
    except ApprovalError as err:
        db.session.rollback()
        return _index(409, failed_id=req_id, problem=err.message)
    flash(_("Rejected; the reason is kept."), "success")
    return redirect(url_for(".index"), 303)
