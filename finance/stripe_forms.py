"""Forms of the Stripe reconciliation pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms.validators import DataRequired, ValidationError

from core.forms import REQUIRED
from ledger.forms import StrictDateField

#: A month of Stripe activity for one foundation is far below this.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: One fetch reads at most this many days, so that a request stays short.
MAX_FETCH_DAYS = 62


class ImportForm(FlaskForm):
    file = FileField(_l("Itemised report from Stripe (CSV)"), validators=[FileRequired(REQUIRED)],
                     description=_l("“Balance change from activity” or “Payout reconciliation”, "
                                    "itemised, as downloaded from the dashboard."))


class FetchForm(FlaskForm):
    start = StrictDateField(_l("From"), validators=[DataRequired(REQUIRED)],
                            render_kw={"type": "date"})
    end = StrictDateField(_l("To"), validators=[DataRequired(REQUIRED)],
                          render_kw={"type": "date"})

    def validate_end(self, field):
        if not (self.start.parsed and field.parsed):
            return
        if field.parsed < self.start.parsed:
            raise ValidationError(_l("The end date must not be before the start date."))
        if (field.parsed - self.start.parsed).days >= MAX_FETCH_DAYS:
            raise ValidationError(_l("Fetch at most %(days)s days at a time.", days=MAX_FETCH_DAYS))
