"""Forms of the approval pages: preparing an entry for a bank line, and rejecting one."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

REQUIRED = _l("This field is required.")
TOO_LONG = _l("At most %(max)d characters.")
KIND_LABELS = {"gift": _l("An offline gift (bank transfer)"), "bank_fee": _l("A bank fee"),
               "interest": _l("Interest")}
STATUS_LABELS = {"pending": _l("Waiting for approval"), "approved": _l("Approved"),
                 "rejected": _l("Rejected")}


class PrepareEntryForm(FlaskForm):
    kind = SelectField(_l("What is this line?"),
                       choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    memo = StringField(_l("Note"), validators=[Optional(), Length(max=300, message=TOO_LONG)])
    designation = SelectField(_l("For a gift: drive and designation"), coerce=int, choices=[],
                              validate_choice=False)
    donor_name = StringField(_l("For a gift: donor's name"),
                             validators=[Optional(), Length(max=60, message=TOO_LONG)],
                             description=_l("Empty: the counterparty on the bank line."))
    email = EmailField(_l("For a gift: donor's email (optional)"), validators=[
        Optional(), Length(max=254, message=TOO_LONG),
        Email(_l("Enter an email address like name@example.org."))])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Why is it rejected?"), validators=[
        DataRequired(REQUIRED), Length(max=500, message=TOO_LONG)])


class ApproveForm(FlaskForm):
    """The approve button (a CSRF token only)."""
