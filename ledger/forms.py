"""Forms of the finance pages: adding an account, date filters, reversing an entry, and
closing or reopening a period. Filter forms read the query string and carry no CSRF token
(they change nothing); every form that writes is a FlaskForm with one."""
import re
from datetime import date

from flask import request
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

REQUIRED = _l("This field is required.")
TOO_LONG = _l("At most %(max)d characters.")

#: Labels of the engine's account types, restrictions and fund kinds, in the user's language.
ACCOUNT_TYPE_LABELS = {
    "asset": _l("Asset"), "liability": _l("Liability"), "net_assets": _l("Net assets"),
    "revenue": _l("Income"), "expense": _l("Expense"),
}
RESTRICTION_LABELS = {"unrestricted": _l("Unrestricted"), "restricted": _l("Restricted")}
FUND_KIND_LABELS = {
    "general": _l("General"), "campaign": _l("Campaign"), "subfund": _l("Community sub-fund"),
    "goods": _l("Paired-region goods"), "wish": _l("Micro-wish"),
}
# "period": a closed month is 已结账, where a closed campaign is 已结束.
PERIOD_STATUS_LABELS = {"open": lazy_pgettext("period", "Open"),
                        "closed": lazy_pgettext("period", "Closed")}
PERIOD_ACTION_LABELS = {"close": lazy_pgettext("period", "Closed"), "reopen": _l("Reopened")}

#: The national chart's rule: an account code's first digit names its type.
_FIRST_DIGIT = {"1": "asset", "2": "liability", "3": "net_assets", "4": "revenue", "5": "expense"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StrictDateField(StringField):
    """A date written exactly YYYY-MM-DD (what ``<input type=date>`` sends); ``.parsed`` holds it."""

    parsed: date | None = None

    def pre_validate(self, form):
        self.parsed = None
        text = (self.data or "").strip()
        if not text:
            return  # DataRequired / Optional decide
        try:
            if not _ISO_DATE.match(text):
                raise ValueError(text)
            self.parsed = date.fromisoformat(text)
        except ValueError:
            raise ValidationError(_l("Enter a date as YYYY-MM-DD, for example 2026-10-31.")) from None


class QueryForm(FlaskForm):
    """A filter read from the query string; it writes nothing, so it needs no CSRF token."""

    class Meta:
        csrf = False

    def __init__(self, **kwargs):
        super().__init__(formdata=request.args, **kwargs)


class AsOfForm(QueryForm):
    as_of = StrictDateField(_l("As of"), validators=[Optional()],
                            render_kw={"type": "date"},
                            description=_l("Leave empty for the balances now."))


class RangeForm(QueryForm):
    start = StrictDateField(_l("From"), validators=[Optional()], render_kw={"type": "date"})
    end = StrictDateField(_l("To"), validators=[Optional()], render_kw={"type": "date"})

    def validate_end(self, field):
        if self.start.parsed and field.parsed and field.parsed < self.start.parsed:
            raise ValidationError(_l("The end date must not be before the start date."))


class AccountForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        DataRequired(REQUIRED),
        Regexp(r"^[0-9]{4,12}$", message=_l("An account code is 4 to 12 digits (0–9).")),
    ], description=_l("Four digits from the national chart, or six and more for a sub-account."))
    type = SelectField(_l("Type"), choices=[SelectChoice(k, v) for k, v in ACCOUNT_TYPE_LABELS.items()])
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(REQUIRED),
                                                           Length(max=80, message=TOO_LONG)])
    name_en = StringField(_l("English name"), validators=[DataRequired(REQUIRED),
                                                           Length(max=80, message=TOO_LONG)])

    def validate_type(self, field):
        code = (self.code.data or "").strip()
        if code and _FIRST_DIGIT.get(code[0]) != field.data:
            raise ValidationError(_l("Codes starting with %(digit)s are not accounts of this type.",
                                     digit=code[0]))


class ReverseForm(FlaskForm):
    memo = StringField(_l("Why is it reversed?"), validators=[DataRequired(REQUIRED),
                                                              Length(max=400, message=TOO_LONG)])
    entry_date = StrictDateField(_l("Accounting date of the reversal"), validators=[Optional()],
                                 render_kw={"type": "date"}, description=_l("Empty means today."))
    confirm = BooleanField(_l("I understand that this posts a mirror-image entry."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


class ClosePeriodForm(FlaskForm):
    reason = StringField(_l("Note (optional)"), validators=[Length(max=500, message=TOO_LONG)])


class ReopenPeriodForm(FlaskForm):
    reason = TextAreaField(_l("Why must it be reopened?"),
                           validators=[DataRequired(REQUIRED), Length(max=500, message=TOO_LONG)])
