"""Staff pages of issue #5: sub-funds and disbursements, households and their import.
Goods, purchase orders and deliveries are in ``views_goods``. Finance alone decides."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaigns.homes import households, models, state, subfunds
from campaigns.homes import views_goods  # noqa: F401 - registers the goods routes on bp
from campaigns.homes import views_reports  # noqa: F401 - registers the report routes on bp
from campaigns.homes.blueprint import bp, form_invalid, refused
from campaigns.homes.forms import ConfirmImportForm, DecisionForm, DisbursementForm, ImportForm
from campaigns.homes.goods import parse_price
from campaigns.homes.pii import current_keys
from campaigns.homes.state import HomesError
from core.access import FINANCE, requires
from core.extensions import db

__all__ = ["bp"]


@bp.route("/")
def index():
    summaries = [subfunds.subfund_summary(db.session, f) for f in subfunds.list_subfunds(db.session)]
    return render_template("homes/index.html", summaries=summaries)


def _fund_or_404(code: str):
    fund = subfunds.subfund_or_none(db.session, code) or abort(404)
    only = subfunds.liaison_streets(db.session, current_user)
    if only is not None and subfunds.street_code_of(fund.code) not in only:
        abort(404)  # another street's requests are not a liaison's business
    return fund


def _render_subfund(fund, form=None, code: int = 200):
    return render_template(
        "homes/subfund.html", summary=subfunds.subfund_summary(db.session, fund),
        disbursements=subfunds.disbursements_of(db.session, fund.code),
        form=form or DisbursementForm(), decision=DecisionForm(),
        status_labels=state.STATUS_LABELS), code


@bp.route("/subfunds/<code>")
def subfund(code: str):
    return _render_subfund(_fund_or_404(code))


@bp.route("/subfunds/<code>/disbursements", methods=["POST"])
def request_disbursement(code: str):
    fund, form = _fund_or_404(code), DisbursementForm()
    if not form.validate_on_submit():
        return _render_subfund(fund, form, 400)
    try:
        subfunds.request_disbursement(db.session, fund, parse_price(form.amount.data, "amount"),
                                      form.purpose.data, current_user)
    except HomesError as err:
        refused(err, form)
        return _render_subfund(fund, form, 400)
    db.session.commit()
    flash(_("Your request was sent to finance."), "success")
    return redirect(url_for(".subfund", code=code))


def _decide(disbursement_id: int, decide):
    d = db.session.get(models.Disbursement, disbursement_id) or abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        decide(d, form.note.data)
    except HomesError as err:
        refused(err)
        return _render_subfund(_fund_or_404(d.fund_code), code=409)
    db.session.commit()
    flash(_("The request is now %(status)s.", status=state.STATUS_LABELS[d.status]), "success")
    return redirect(url_for(".subfund", code=d.fund_code))


@bp.route("/disbursements/<int:disbursement_id>/approve", methods=["POST"])
@requires(FINANCE)
def approve_disbursement(disbursement_id: int):
    return _decide(disbursement_id, lambda d, _note: subfunds.approve_disbursement(
        db.session, d, current_user))


@bp.route("/disbursements/<int:disbursement_id>/reject", methods=["POST"])
@requires(FINANCE)
def reject_disbursement(disbursement_id: int):
    return _decide(disbursement_id, lambda d, note: subfunds.reject_disbursement(
        db.session, d, current_user, note))


@bp.route("/households")
def household_list():
    street = request.args.get("street") or None
    return render_template("homes/households.html", form=ImportForm(), street=street,
                           households=households.list_households(
                               db.session, street, only=subfunds.liaison_streets(db.session, current_user)),
                           streets=households.streets(), labels=households.CATEGORY_LABELS)


@bp.route("/households/import", methods=["POST"])
def upload_households():
    form = ImportForm()
    if not form.validate_on_submit():
        form_invalid(form)
        return redirect(url_for(".household_list"))
    try:
        upload = households.preview_import(db.session, current_keys(), form.file.data.read(),
                                           form.file.data.filename, current_user.id)
    except HomesError as err:
        refused(err)
        return render_template("homes/households.html", form=form, street=None, households=[],
                               streets=households.streets(), labels=households.CATEGORY_LABELS), 400
    db.session.commit()
    return redirect(url_for(".import_preview", upload_id=upload.id))


def _upload_or_404(upload_id: int) -> models.HouseholdImport:
    upload = db.session.get(models.HouseholdImport, upload_id)
    if upload is None or upload.uploaded_by_id != current_user.id:
        abort(404)
    return upload


def _render_preview(upload, code: int = 200):
    if upload.imported_at is not None:
        flash(_("This file was already imported."), "error")
        return redirect(url_for(".household_list"))
    rows = households.import_rows(db.session, current_keys(), upload)
    return render_template("homes/import.html", upload=upload, form=ConfirmImportForm(), rows=rows,
                           errors=households.ROW_ERRORS, bad=sum(1 for r in rows if r["errors"])), code


@bp.route("/households/import/<int:upload_id>")
def import_preview(upload_id: int):
    return _render_preview(_upload_or_404(upload_id))


@bp.route("/households/import/<int:upload_id>/confirm", methods=["POST"])
def confirm_import(upload_id: int):
    upload, form = _upload_or_404(upload_id), ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        made = households.confirm_import(db.session, current_keys(), upload, form.mode.data == "good")
    except HomesError as err:
        refused(err)
        return _render_preview(db.session.get(models.HouseholdImport, upload_id), 409)
    db.session.commit()
    flash(_("%(count)d households were registered.", count=made), "success")
    return redirect(url_for(".household_list"))
