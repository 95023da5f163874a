"""Finance pages: chart of accounts, funds, trial balance, journal entries, general ledger,
fund statements and periods.

Finance officers read and act; auditors may read every page (each GET view says so) but
every POST is finance-only; reopening a closed period is for admins. Views parse, call the
ledger engine, commit once and render; every table also downloads as CSV (``?format=csv``).
"""
import csv
import io
import uuid
from datetime import date

import sqlalchemy as sa
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core.access import ADMIN, AUDITOR, FINANCE, guard_blueprint, requires
from core.audit import record_audit
from core.extensions import db
from core.i18n import money
from ledger import forms
from ledger.chart import add_account as add_account_to_chart
from ledger.errors import (AlreadyReversed, ClosedPeriod, InsufficientFunds, InvalidAccount,
                           LedgerError, PeriodStateError)
from ledger.models import Account, Fund, JournalEntry, Period
from ledger.money import format_plain
from ledger.periods import check_month, close_period, period_history, reopen_period
from ledger.posting import fund_holdings, reverse_entry
from ledger.reports import fund_statement, general_ledger, trial_balance

bp = Blueprint("ledger", __name__, url_prefix="/finance")
guard_blueprint(bp, FINANCE)

READERS = (FINANCE, AUDITOR)
CURRENCY = "CNY"
ENTRIES_PER_PAGE = 50


# -- helpers -------------------------------------------------------------------------------

@bp.context_processor
def labels() -> dict:
    return {"type_labels": forms.ACCOUNT_TYPE_LABELS, "restrictions": forms.RESTRICTION_LABELS,
            "kinds": forms.FUND_KIND_LABELS, "statuses": forms.PERIOD_STATUS_LABELS,
            "period_actions": forms.PERIOD_ACTION_LABELS, "currency": CURRENCY}


def wants_csv() -> bool:
    return request.args.get("format") == "csv"


def csv_response(filename: str, header: list, rows) -> Response:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese names correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows([header, *rows])
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def plain(amount: int) -> str:
    return format_plain(amount, CURRENCY)


def locale() -> str:
    return str(get_locale())


def ledger_message(err: LedgerError) -> str:
    """The engine's refusal in the user's language (by class, never by parsing its text)."""
    if isinstance(err, AlreadyReversed):
        return _("Entry %(entry)s was already reversed by entry %(by)s; nothing was posted.",
                 entry=err.entry_id, by=err.by_entry_id)
    if isinstance(err, ClosedPeriod):
        return _("The period %(month)s is closed: nothing can be posted with an accounting "
                 "date in it.", month=err.month)
    if isinstance(err, InsufficientFunds):
        return _("The restricted fund %(fund)s does not hold enough: this would take it "
                 "%(amount)s below zero.", fund=err.fund_code,
                 amount=money(err.shortfall, err.currency))
    return str(err)


def _month_or_404(month: str) -> str:
    try:
        return check_month(month)
    except PeriodStateError:
        abort(404)


# -- overview and chart of accounts --------------------------------------------------------

@bp.route("/")
@requires(FINANCE, AUDITOR, ADMIN)
def index():
    return render_template("ledger/index.html")


def _accounts():
    return list(db.session.scalars(sa.select(Account).order_by(Account.code)))


@bp.route("/accounts")
@requires(*READERS)
def accounts():
    rows = _accounts()
    if wants_csv():
        return csv_response("accounts.csv", [_("Code"), _("Type"), _("Chinese name"),
                                             _("English name"), _("Active")],
                            [[a.code, a.type, a.name_zh, a.name_en, int(a.active)] for a in rows])
    return render_template("ledger/accounts.html", accounts=rows, form=forms.AccountForm())


@bp.route("/accounts", methods=["POST"])
@requires(FINANCE)
def add_account():
    form = forms.AccountForm()
    if form.validate_on_submit():
        try:
            account = add_account_to_chart(db.session, form.code.data.strip(), type=form.type.data,
                                           name_zh=form.name_zh.data, name_en=form.name_en.data)
            db.session.commit()
        except (InvalidAccount, sa.exc.IntegrityError):
            # The form checked the shape; what is left is a code already used (perhaps just now).
            db.session.rollback()
            form.code.errors.append(_("The account code %(code)s is already in use; codes are "
                                      "never reused.", code=form.code.data.strip()))
        else:
            flash(_("Account %(code)s was added.", code=account.code), "success")
            return redirect(url_for(".accounts"))
    return render_template("ledger/accounts.html", accounts=_accounts(), form=form), 400


# -- funds -----------------------------------------------------------------------------------

@bp.route("/funds")
@requires(*READERS)
def funds():
    rows = list(db.session.scalars(sa.select(Fund).order_by(Fund.code)))
    held = fund_holdings(db.session, [f.id for f in rows])
    if wants_csv():
        return csv_response("funds.csv", [_("Code"), _("Chinese name"), _("English name"),
                                          _("Restriction"), _("Kind"), _("Parent"), _("Net assets")],
                            [[f.code, f.name_zh, f.name_en, f.restriction, f.kind,
                              f.parent.code if f.parent else "", plain(held.get((f.id, CURRENCY), 0))]
                             for f in rows])
    return render_template("ledger/funds.html", funds=rows, held=held)


@bp.route("/funds/<code>/statement")
@requires(*READERS)
def fund_statement_page(code: str):
    fund = db.session.scalar(sa.select(Fund).filter_by(code=code)) or abort(404)
    form = forms.RangeForm()
    if not form.validate():
        return render_template("ledger/fund_statement.html", fund=fund, form=form, st=None), 400
    today = date.today()
    st = fund_statement(db.session, code, form.start.parsed or date(today.year, 1, 1),
                        form.end.parsed or today, currency=CURRENCY)
    if wants_csv():
        return csv_response(f"fund-{code}-{st.start}-{st.end}.csv", *_statement_table(st))
    return render_template("ledger/fund_statement.html", fund=fund, form=form, st=st)


def _statement_table(st) -> tuple[list, list]:
    header = [_("Line"), _("Account"), _("Name"), _("Debit"), _("Credit")]
    rows = [[_("Opening net assets"), "", "", "", plain(st.opening)]]
    rows += [[_("Activity"), r.code, r.name_en if locale() == "en" else r.name_zh,
              plain(r.debit), plain(r.credit)] for r in st.by_account]
    rows += [[_("Closing net assets"), "", "", "", plain(st.closing)]]
    return header, rows


# -- trial balance and general ledger ------------------------------------------------------

@bp.route("/trial-balance")
@requires(*READERS)
def trial_balance_page():
    form = forms.AsOfForm()
    if not form.validate():
        return render_template("ledger/trial_balance.html", form=form, tb=None), 400
    tb = trial_balance(db.session, as_of=form.as_of.parsed, currency=CURRENCY)
    if wants_csv():
        name = f"trial-balance-{tb.as_of or date.today()}.csv"
        rows = [[r.code, r.name_zh, r.name_en, plain(r.debit) if r.debit else "",
                 plain(r.credit) if r.credit else ""] for r in tb.rows]
        rows.append(["", _("Total"), "", plain(tb.total_debit), plain(tb.total_credit)])
        return csv_response(name, [_("Code"), _("Chinese name"), _("English name"), _("Debit"),
                                   _("Credit")], rows)
    return render_template("ledger/trial_balance.html", form=form, tb=tb)


@bp.route("/accounts/<code>/ledger")
@requires(*READERS)
def general_ledger_page(code: str):
    account = db.session.scalar(sa.select(Account).filter_by(code=code)) or abort(404)
    form = forms.RangeForm()
    if not form.validate():
        return render_template("ledger/general_ledger.html", account=account, form=form, gl=None), 400
    gl = general_ledger(db.session, code, start=form.start.parsed, end=form.end.parsed, currency=CURRENCY)
    if wants_csv():
        rows = [["", "", _("Opening balance"), "", "", "", plain(gl.opening)]]
        rows += [[ln.entry_id, ln.date.isoformat(), ln.memo, ln.fund, plain(ln.debit),
                  plain(ln.credit), plain(ln.balance)] for ln in gl.lines]
        return csv_response(f"ledger-{code}.csv", [_("Entry"), _("Date"), _("Memo"), _("Fund"),
                                                   _("Debit"), _("Credit"), _("Balance")], rows)
    return render_template("ledger/general_ledger.html", account=account, form=form, gl=gl)


# -- journal entries -------------------------------------------------------------------------

@bp.route("/entries")
@requires(*READERS)
def entries():
    before = request.args.get("before", type=int)
    query = sa.select(JournalEntry).order_by(JournalEntry.id.desc()).limit(ENTRIES_PER_PAGE)
    if before:
        query = query.where(JournalEntry.id < before)
    rows = list(db.session.scalars(query))
    if wants_csv():
        return csv_response("entries.csv", [_("Entry"), _("Date"), _("Memo"), _("Source"),
                                            _("Reverses"), _("Hash")],
                            [[e.id, e.entry_date.isoformat(), e.memo, e.source,
                              e.reverses_id or "", e.hash] for e in rows])
    return render_template("ledger/entries.html", entries=rows, per_page=ENTRIES_PER_PAGE)


def _render_entry(entry: JournalEntry, form, code: int = 200, error: str | None = None):
    reversed_by = db.session.scalar(sa.select(JournalEntry.id).where(JournalEntry.reverses_id == entry.id))
    return render_template("ledger/entry.html", entry=entry, form=form, error=error,
                           reversed_by=reversed_by), code


@bp.route("/entries/<int:entry_id>")
@requires(*READERS)
def entry(entry_id: int):
    found = db.session.get(JournalEntry, entry_id) or abort(404)
    if wants_csv():
        return csv_response(f"entry-{entry_id}.csv", [_("Account"), _("Fund"), _("Currency"),
                                                      _("Debit"), _("Credit")],
                            [[p.account.code, p.fund.code, p.currency,
                              plain(max(p.amount, 0)), plain(max(-p.amount, 0))]
                             for p in found.postings])
    return _render_entry(found, forms.ReverseForm())


@bp.route("/entries/<int:entry_id>/reverse", methods=["POST"])
@requires(FINANCE)
def reverse(entry_id: int):
    original = db.session.get(JournalEntry, entry_id) or abort(404)
    form = forms.ReverseForm()
    if not form.validate_on_submit():
        return _render_entry(original, form, 400)
    try:
        # A fresh key per click: a second click is refused as AlreadyReversed, not merged.
        mirror = reverse_entry(db.session, entry_id, date=form.entry_date.parsed or date.today(),
                               memo=form.memo.data.strip(), posted_by=current_user.email,
                               idempotency_key=f"finance-reversal:{entry_id}:{uuid.uuid4().hex}")
        record_audit(db.session, current_user, "entry.reverse", original, None,
                     {"reversed_by": mirror.id, "memo": mirror.memo})
        db.session.commit()
    except (LedgerError, sa.exc.IntegrityError) as err:
        # IntegrityError: the unique reversal link refused a reversal racing this one.
        db.session.rollback()
        message = ledger_message(err) if isinstance(err, LedgerError) else \
            _("This entry was reversed at the same moment by someone else; nothing was posted.")
        return _render_entry(db.session.get(JournalEntry, entry_id), form, 409, message)
    flash(_("Entry %(entry)s was reversed by entry %(by)s.", entry=entry_id, by=mirror.id), "success")
    return redirect(url_for(".entry", entry_id=mirror.id))


# -- periods ---------------------------------------------------------------------------------

#: ``app.extensions`` key of the checks the period page runs before it closes a month: a list
#: of ``guard(session, month) -> [failure text]`` that the layers above append to.
CLOSE_GUARDS = "wanjia.close_guards"


def _months() -> list[str]:
    """Every month from the first entry (or this month) to the last, and any recorded period."""
    first, last = db.session.execute(sa.select(sa.func.min(JournalEntry.entry_date),
                                               sa.func.max(JournalEntry.entry_date))).one()
    today = date.today()
    first, last = first or today, max(last or today, today)
    months, (y, m) = set(db.session.scalars(sa.select(Period.month))), (first.year, first.month)
    while (y, m) <= (last.year, last.month):
        months.add(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return sorted(months, reverse=True)


@bp.route("/periods")
@requires(FINANCE, AUDITOR, ADMIN)
def periods():
    status = dict(db.session.execute(sa.select(Period.month, Period.status)).all())
    rows = [(m, status.get(m, "open")) for m in _months()]
    history = period_history(db.session)
    if wants_csv():
        return csv_response("periods.csv", [_("Month"), _("Status")], rows)
    return render_template("ledger/periods.html", rows=rows, history=history,
                           form=forms.ClosePeriodForm())


@bp.route("/periods/<month>/close", methods=["POST"])
@requires(FINANCE)
def close(month: str):
    month = _month_or_404(month)
    form = forms.ClosePeriodForm()
    if not form.validate_on_submit():
        flash(_("The note is too long."), "error")
        return redirect(url_for(".periods"), 303)
    # Layers above may register checks a month must pass first (the finance office's
    # month-end checklist does), so that this page cannot close a month around them.
    failures = [text for guard in current_app.extensions.get(CLOSE_GUARDS, ())
                for text in guard(db.session, month)]
    if failures:
        flash(_("The period %(month)s cannot be closed yet: %(checks)s.", month=month,
                checks="; ".join(failures)), "error")
        return redirect(url_for(".periods"), 303)
    try:
        close_period(db.session, month, by=current_user.email, reason=form.reason.data or "")
        record_audit(db.session, current_user, "period.close", ("period", month),
                     {"status": "open"}, {"status": "closed"})
        db.session.commit()
        flash(_("The period %(month)s is closed.", month=month), "success")
    except PeriodStateError:
        db.session.rollback()
        flash(_("The period %(month)s is already closed.", month=month), "error")
    return redirect(url_for(".periods"), 303)


@bp.route("/periods/<month>/reopen", methods=["GET", "POST"])
@requires(ADMIN)
def reopen(month: str):
    month = _month_or_404(month)
    form = forms.ReopenPeriodForm()
    if form.validate_on_submit():
        try:
            reopen_period(db.session, month, by=current_user.email, reason=form.reason.data)
            record_audit(db.session, current_user, "period.reopen", ("period", month),
                         {"status": "closed"}, {"status": "open", "reason": form.reason.data})
            db.session.commit()
            flash(_("The period %(month)s is open again.", month=month), "success")
            return redirect(url_for(".periods"), 303)
        except PeriodStateError:
            db.session.rollback()
            form.reason.errors.append(_("The period %(month)s is not closed.", month=month))
    code = 400 if form.errors else 200
    return render_template("ledger/reopen.html", month=month, form=form), code
