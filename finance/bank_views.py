"""Bank reconciliation pages: bank accounts and mappings, statement import, matching, and the
monthly reconciliation statement with its sign-off.

Finance officers act; auditors may read every GET page. Each view parses, calls one
service, commits once and renders or redirects; a refused file or match writes nothing.
"""
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from core.access import AUDITOR, FINANCE, guard_blueprint, requires
from core.extensions import db
from finance import bank_forms as forms
from finance.approvals import EntryRequest
from finance.bank_import import StatementError, import_statement
from finance.bank_match import (DEFAULT_WINDOW_DAYS, MatchError, auto_match, bank_lines,
                                book_items, match_items, unmatch)
from finance.bank_models import BankAccount, BankMapping, BankMatch
from finance.bank_recon import SignOffError, reconcile_month, sign_off
from finance.bank_setup import (BankSetupError, create_bank_account, ensure_preset_mappings,
                                save_mapping)
from finance.close import month_bounds
from ledger.errors import PeriodStateError

bp = Blueprint("bank", __name__, url_prefix="/finance/bank")
guard_blueprint(bp, FINANCE)
READERS = (FINANCE, AUDITOR)
#: Far more than a month of a foundation's bank lines.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def _account_or_404(account_id: int) -> BankAccount:
    return db.session.get(BankAccount, account_id) or abort(404)


def _mappings() -> list[BankMapping]:
    return list(db.session.scalars(sa.select(BankMapping).order_by(BankMapping.name)))


def _account_form() -> forms.BankAccountForm:
    form = forms.BankAccountForm()
    form.mapping.choices = [(m.id, m.name) for m in _mappings()]
    return form


def _form_error(form, err: BankSetupError) -> None:
    """Nothing was saved: roll back and show the service's refusal on its field."""
    db.session.rollback()
    getattr(form, err.field or "name", form.name).errors.append(err.message)


def _index(account_form=None, code=200):
    accounts = db.session.scalars(sa.select(BankAccount).order_by(BankAccount.id)).all()
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(EntryRequest)
                                .where(EntryRequest.status == "pending"))
    return render_template("finance/bank_index.html", accounts=accounts, pending=pending,
                           form=account_form or _account_form(), mappings=_mappings(),
                           action=forms.ActionForm()), code


@bp.route("/")
@requires(*READERS)
def index():
    return _index()


@bp.route("/accounts", methods=["POST"])
def add_account():
    form = _account_form()
    if not form.validate_on_submit():
        return _index(form, 400)
    try:
        account = create_bank_account(
            db.session, name=form.name.data, bank=form.bank.data,
            last_digits=form.last_digits.data, ledger_account_code=form.ledger_account_code.data,
            mapping=db.session.get(BankMapping, form.mapping.data))
    except BankSetupError as err:
        _form_error(form, err)
        return _index(form, 400)
    db.session.commit()
    flash(_("Bank account %(name)s was added.", name=account.name), "success")
    return redirect(url_for(".account", account_id=account.id), 303)


@bp.route("/mappings")
@requires(*READERS)
def mappings(form=None, code=200):
    return render_template("finance/bank_mappings.html", mappings=_mappings(),
                           form=form or forms.MappingForm(), action=forms.ActionForm()), code


@bp.route("/mappings", methods=["POST"])
def add_mapping():
    form = forms.MappingForm()
    if not form.validate_on_submit():
        return mappings(form, 400)
    fields = {f.name: f.data for f in form if f.name not in ("csrf_token", "name")}
    try:
        mapping = save_mapping(db.session, name=form.name.data, **fields)
    except BankSetupError as err:
        _form_error(form, err)
        return mappings(form, 400)
    db.session.commit()
    flash(_("The mapping %(name)s was saved.", name=mapping.name), "success")
    return redirect(url_for(".mappings"), 303)


@bp.route("/mappings/presets", methods=["POST"])
def add_presets():
    if forms.ActionForm().validate_on_submit():
        ensure_preset_mappings(db.session)
        db.session.commit()
        flash(_("The preset mappings are there."), "success")
    return redirect(url_for(".mappings"), 303)


def _month(value: str | None) -> str:
    month = value or date.today().strftime("%Y-%m")
    try:
        month_bounds(month)
    except PeriodStateError:
        abort(404)
    return month


def _account_page(account, import_form=None, problems=(), code=200):
    month = _month(request.args.get("month"))
    start, end = month_bounds(month)
    matches = db.session.scalars(sa.select(BankMatch).where(
        BankMatch.bank_account_id == account.id).order_by(BankMatch.id.desc()).limit(100)).all()
    return render_template(
        "finance/bank_account.html", account=account, month=month, problems=problems,
        import_form=import_form or forms.ImportForm(), action=forms.ActionForm(),
        match_form=forms.MatchForm(), matches=matches, match_kinds=forms.MATCH_KIND_LABELS,
        lines=bank_lines(db.session, account, unmatched=True, end=end),
        items=book_items(db.session, account, unmatched=True, end=end)), code


@bp.route("/accounts/<int:account_id>")
@requires(*READERS)
def account(account_id: int):
    return _account_page(_account_or_404(account_id))


@bp.route("/accounts/<int:account_id>/import", methods=["POST"])
def import_file(account_id: int):
    account, form = _account_or_404(account_id), forms.ImportForm()
    if not form.validate_on_submit():
        return _account_page(account, form, code=400)
    data = form.file.data.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return _account_page(account, form, [_("The file is larger than 2 MB.")], 400)
    try:
        result = import_statement(db.session, account, data, actor=current_user,
                                  filename=form.file.data.filename or "")
    except StatementError as err:
        db.session.rollback()
        return _account_page(account, form, [str(m) for m in err.messages], 400)
    except sa.exc.IntegrityError:
        return _refused(account, _("The same lines were imported at the same moment by "
                                   "someone else; nothing was written."))
    db.session.commit()
    flash(_("%(new)s new lines imported, %(known)s already known; %(alike)s lines look alike "
            "and were kept, the running balance telling them apart.", new=len(result.new_lines),
            known=result.known_count, alike=result.alike_count), "success")
    return redirect(url_for(".account", account_id=account.id), 303)


@bp.route("/accounts/<int:account_id>/auto-match", methods=["POST"])
def auto_match_view(account_id: int):
    account = _account_or_404(account_id)
    if forms.ActionForm().validate_on_submit():
        window = int(current_app.config.get("BANK_MATCH_WINDOW_DAYS", DEFAULT_WINDOW_DAYS))
        made = auto_match(db.session, account, actor=current_user, window_days=window)
        db.session.commit()
        flash(_("%(count)s lines were matched.", count=len(made)), "success")
    return redirect(url_for(".account", account_id=account.id), 303)


def _refused(account, message: str, code: int = 409):
    db.session.rollback()
    return _account_page(account, problems=[message], code=code)


@bp.route("/accounts/<int:account_id>/match", methods=["POST"])
def match(account_id: int):
    account, form = _account_or_404(account_id), forms.MatchForm()
    if not form.validate_on_submit():
        return _refused(account, _("Choose at least one bank line and one posting."), 400)
    try:
        match_items(db.session, account, form.lines.data, form.postings.data, actor=current_user)
        db.session.commit()
    except MatchError as err:
        return _refused(account, str(err.message), 400)
    except sa.exc.IntegrityError:
        return _refused(account, _("Someone matched one of these items at the same moment; "
                                   "nothing was changed."))
    flash(_("Matched."), "success")
    return redirect(url_for(".account", account_id=account.id), 303)


@bp.route("/accounts/<int:account_id>/matches/<int:match_id>/unmatch", methods=["POST"])
def unmatch_view(account_id: int, match_id: int):
    account = _account_or_404(account_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    try:
        unmatch(db.session, account, match_id, actor=current_user)
        db.session.commit()
    except MatchError as err:
        return _refused(account, str(err.message))
    except StaleDataError:  # undone at the same moment by someone else
        return _refused(account, _("There is no such match on this bank account."))
    flash(_("The match was undone."), "success")
    return redirect(url_for(".account", account_id=account.id), 303)


@bp.route("/accounts/<int:account_id>/reconciliation/<month>")
@requires(*READERS)
def reconciliation(account_id: int, month: str, problems=(), code=200):
    account = _account_or_404(account_id)
    rec = reconcile_month(db.session, account, _month(month))
    return render_template("finance/bank_reconciliation.html", rec=rec, problems=problems,
                           action=forms.ActionForm()), code


@bp.route("/accounts/<int:account_id>/reconciliation/<month>/sign-off", methods=["POST"])
def sign_off_view(account_id: int, month: str):
    account, month = _account_or_404(account_id), _month(month)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    try:
        sign_off(db.session, account, month, actor=current_user)
        db.session.commit()
    except (SignOffError, sa.exc.IntegrityError) as err:
        db.session.rollback()
        message = str(err.message) if isinstance(err, SignOffError) else \
            _("Someone signed this month off at the same moment.")
        return reconciliation(account_id, month, [message], 409)
    flash(_("The reconciliation of %(month)s is signed off.", month=month), "success")
    return redirect(url_for(".reconciliation", account_id=account.id, month=month), 303)
