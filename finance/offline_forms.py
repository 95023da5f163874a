"""The offline gift form: amounts typed in yuan, parsed to fen by ``MoneyField``."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from campaigns.forms import MoneyField
from ledger.forms import StrictDateField

REQUIRED = _l("This field is required.")
TOO_LONG = _l("At most %(max)d characters.")
CHANNEL_LABELS = {"bank_transfer": _l("Bank transfer"), "cash": _l("Cash")}


class OfflineGiftForm(FlaskForm):
    designation = SelectField(_l("Drive and designation"), coerce=int, choices=[],
                              validators=[DataRequired(REQUIRED)])
    donor_name = StringField(_l("Donor's name"), validators=[
        DataRequired(REQUIRED), Length(max=60, message=TOO_LONG)])
    email = EmailField(_l("Donor's email (optional)"), validators=[
        Optional(), Length(max=254, message=TOO_LONG),
        Email(_l("Enter an email address like name@example.org."))])
    amount = MoneyField(_l("Amount (yuan)"), validators=[DataRequired(REQUIRED)])
    channel = SelectField(_l("Received as"),
                          choices=[SelectChoice(k, v) for k, v in CHANNEL_LABELS.items()])
    bank_account = SelectField(_l("Bank account it arrived on"), choices=[],
                               validate_choice=True)
    gift_date = StrictDateField(_l("Date received"), validators=[DataRequired(REQUIRED)],
                                render_kw={"type": "date"})
    collected_by = StringField(_l("Collected by"), validators=[
        DataRequired(REQUIRED), Length(max=60, message=TOO_LONG)])
