"""Finance statements: financial position, activities, fund balances, the donations register,
sponsor statements, the voucher export and the charity-law gauge.

Every page is read-only: finance officers and auditors may open it (GET), pick an as-at date
or a date range in a small GET form, and download the same table as CSV (``?format=csv``)
or Excel (``?format=xlsx``). Views parse, ask one engine, and render: the figures come from
``ledger.statements`` (the books) and ``finance.statements_registers`` (gifts and pledges).
"""
from datetime import date

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core.access import AUDITOR, FINANCE, STAFF, guard_blueprint
from core.extensions import db
from core.views import error_page

from finance import charts, gauge, statements_registers, statements_tables, vouchers
from finance.xlsx import xlsx_response
from ledger import forms as ledger_forms
from ledger.forms import AsOfForm, RangeForm
from ledger.periods import books_date
from ledger.statements import activities, financial_position, fund_balances
from ledger.views import csv_response

bp = Blueprint("statements", __name__, url_prefix="/finance/statements")
guard_blueprint(bp, FINANCE, AUDITOR)
bp.record_once(charts.register_globals)

CURRENCY = "CNY"
FORMATS = ("html", "csv", "xlsx")
#: The voucher page shows this many rows; the download has them all.
PREVIEW_ROWS = 500


def _locale() -> str:
    return str(get_locale())


def _range(form: RangeForm) -> tuple[date, date]:
    """The form's range; empty ends mean 1 January of this year and today (the books' day)."""
    today = books_date()
    return form.start.parsed or date(today.year, 1, 1), form.end.parsed or today


def _respond(table, form, template: str = "finance/statement.html", **context):
    """The table as a page, CSV or Excel, as ``?format=`` asks."""
    fmt = request.args.get("format") or "html"
    if fmt not in FORMATS:
        return error_page(400, _("Unknown format %(format)s: use csv or xlsx, or leave it out "
                                 "for the page.", format=fmt))
    if fmt == "csv":
        return csv_response(f"{table.slug}.csv", [c.label for c in table.columns],
                            table.plain_rows())
    if fmt == "xlsx":
        return xlsx_response(table)
    return render_template(template, table=table, form=form, **context)


def _refused(form, template: str = "finance/statement.html", **context):
    """The form with its errors (a malformed date): 400, nothing computed."""
    return render_template(template, table=None, form=form, **context), 400


@bp.route("/position")
def position():
    form = AsOfForm()
    if not form.validate():
        return _refused(form, heading=_("Statement of financial position"))
    fp = financial_position(db.session, form.as_of.parsed or books_date(), CURRENCY)
    table = statements_tables.position_table(fp, _locale())
    return _respond(table, form, balanced=fp.balanced)


def _valid_range(form) -> bool:
    """Validate, and refuse a start after the default end (today) too."""
    if not form.validate():
        return False
    start, end = _range(form)
    if start > end:
        form.end.errors = [_("The end date must not be before the start date.")]
        return False
    return True


def _ranged(heading: str, build):
    """A statement over the form's date range: ``build(start, end)`` makes its table."""
    form = RangeForm()
    if not _valid_range(form):
        return _refused(form, heading=heading)
    return _respond(build(*_range(form)), form)


@bp.route("/activities")
def activities_page():
    def build(start, end):
        act = activities(db.session, start, end, CURRENCY)
        return statements_tables.activities_table(act, _locale())
    return _ranged(_("Statement of activities"), build)


@bp.route("/funds")
def funds():
    form = RangeForm()
    if not _valid_range(form):
        return _refused(form, heading=_("Fund balances"))
    fb = fund_balances(db.session, *_range(form), CURRENCY)
    table = statements_tables.funds_table(fb, _locale(), ledger_forms.RESTRICTION_LABELS)
    return _respond(table, form, chart=charts.subfund_chart(db.session, fb, _locale()))


@bp.route("/donations")
def donations():
    # Donors' names are for staff and finance; auditors check the money, not the people.
    show_donor = current_user.has_any_role((STAFF, FINANCE))

    def build(start, end):
        return statements_registers.donations_table(db.session, start, end, _locale(),
                                                    show_donor=show_donor)
    return _ranged(_("Donations register"), build)


@bp.route("/sponsors")
def sponsors():
    def build(start, end):
        return statements_registers.sponsors_table(db.session, start, end, _locale())
    return _ranged(_("Sponsor statements"), build)


@bp.route("/vouchers")
def vouchers_page():
    form = vouchers.VoucherForm()
    if not _valid_range(form):
        return _refused(form, "finance/statement_vouchers.html")
    start, end = _range(form)
    rows = vouchers.voucher_rows(db.session, start, end, CURRENCY)
    if request.args.get("format") == "csv":
        return vouchers.voucher_response(rows, start, end, form.encoding.data or "utf-8")
    return render_template("finance/statement_vouchers.html", form=form,
                           rows=rows[:PREVIEW_ROWS], count=len(rows), start=start, end=end,
                           headers=vouchers.HEADERS)


@bp.route("/gauge")
def gauge_page():
    thresholds = gauge.Thresholds.from_config(current_app.config)
    years = gauge.charity_gauge(db.session, books_date().year, thresholds, CURRENCY)
    table = gauge.gauge_table(years, thresholds, CURRENCY)
    return _respond(table, None, "finance/gauge.html", years=years, thresholds=thresholds,
                    percent=gauge.percent, verdict_label=gauge.verdict_label)
