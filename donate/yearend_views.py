"""Year-end statement pages: the donor's statement behind a signed link (HTML and PDF), and
the finance page that emails every donor of a year their statement through the outbox.

URL rule: ``/statements/<token>`` and ``/statements/<token>/pdf``, where the token is
:func:`donate.yearend.statement_token` (email + year, signed); ``statement_url`` builds them.
"""
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from core.access import ADMIN, FINANCE, PUBLIC, guard_blueprint, requires
from core.extensions import db
from core.i18n import money
from donate import yearend
from donate.yearend_pdf import DEFAULT_FONT, FontMissing, statement_pdf

bp = Blueprint("yearend", __name__)
guard_blueprint(bp, PUBLIC)
__all__ = ["bp"]


class YearForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[
        InputRequired(_l("This field is required.")),
        NumberRange(min=2000, max=2100, message=_l("Enter a year between 2000 and 2100."))])


def _statement_or_404(token: str):
    found = yearend.read_statement_token(token)
    if found is None:
        abort(404)
    email, year = found
    return yearend.build_year_statement(db.session, email, *yearend.year_range(year)), year


@bp.route("/statements/<token>")
def statement(token: str):
    found, year = _statement_or_404(token)
    return render_template("yearend/statement.html", statement=found, year=year, token=token)


@bp.route("/statements/<token>/pdf")
def statement_pdf_file(token: str):
    found, year = _statement_or_404(token)
    try:
        pdf = statement_pdf(found, money, current_app.config.get("STATEMENT_FONT", DEFAULT_FONT))
    except FontMissing:
        current_app.logger.error("year-end statement PDF: the CJK font is missing")
        abort(503)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="wanjia-statement-{year}.pdf"'})


@bp.route("/finance/year-end-statements", methods=["GET", "POST"])
@requires(FINANCE, ADMIN)
def finance_page():
    form = YearForm(year=date.today().year - 1)
    if form.validate_on_submit():
        count = yearend.send_year_statements(db.session, form.year.data)
        db.session.commit()
        flash(_("%(count)d statement(s) for %(year)d are in the outbox.", count=count, year=form.year.data),
              "success")
        return redirect(url_for(".finance_page"))
    year = form.year.data if isinstance(form.year.data, int) else date.today().year - 1
    donors = len(yearend.donors_of(db.session, *yearend.year_range(year)))
    return render_template("yearend/finance.html", form=form, year=year, donors=donors), (
        400 if form.errors else 200)
