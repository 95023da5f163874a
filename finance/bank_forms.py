"""Forms of the bank reconciliation pages: bank accounts, column mappings, statement upload,
matching by hand, sign-off. Every form writes, so every one carries a CSRF token."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from finance.bank_models import DATE_FORMATS
from ledger.chart import BANK

REQUIRED = _l("This field is required.")
TOO_LONG = _l("At most %(max)d characters.")
DATE_FORMAT_LABELS = {"%Y-%m-%d": "2026-11-03", "%Y/%m/%d": "2026/11/03", "%Y%m%d": "20261103"}
ENCODING_LABELS = {"utf-8": "UTF-8", "gbk": "GBK"}
MATCH_KIND_LABELS = {"auto": _l("Automatic"), "manual": _l("By hand"),
                     "entry": _l("Entry from the line")}


def _text(label, max_len: int, required: bool = False, **kw):
    checks = [DataRequired(REQUIRED)] if required else [Optional()]
    return StringField(label, validators=checks + [Length(max=max_len, message=TOO_LONG)], **kw)


class BankAccountForm(FlaskForm):
    name = _text(_l("Name"), 120, True, description=_l("How finance calls it, e.g. 基本户."))
    bank = _text(_l("Bank and branch"), 120, True)
    last_digits = StringField(_l("Last digits of the account number"), validators=[
        DataRequired(REQUIRED), Regexp(r"^[0-9]{2,8}$", message=_l("Two to eight digits."))])
    ledger_account_code = StringField(
        _l("Ledger account"), default=BANK,
        validators=[DataRequired(REQUIRED), Regexp(
            r"^1002[0-9]{0,8}$", message=_l("1002, or a sub-account such as 100201."))],
        description=_l("Each bank account needs its own: the first may use 1002, "
                       "the next 100201 …"))
    mapping = SelectField(_l("Column mapping of its statements"), coerce=int, choices=[])


class MappingForm(FlaskForm):
    name = _text(_l("Name"), 80, True)
    encoding = SelectField(_l("Encoding"), choices=[SelectChoice(k, v)
                                                     for k, v in ENCODING_LABELS.items()])
    header_row = IntegerField(_l("Line of the header"), default=1, validators=[
        DataRequired(REQUIRED), NumberRange(min=1, max=50)])
    skip_footer = IntegerField(_l("Lines to skip at the end"), default=0, validators=[
        Optional(), NumberRange(min=0, max=20)])
    date_column = _text(_l("Date column"), 40, True)
    date_format = SelectField(_l("Date layout"), choices=[
        SelectChoice(f, DATE_FORMAT_LABELS[f]) for f in DATE_FORMATS])
    amount_column = _text(_l("Amount column (signed)"), 40, description=_l(
        "Or leave it empty and give the debit and credit columns."))
    debit_column = _text(_l("Debit column (money leaving)"), 40)
    credit_column = _text(_l("Credit column (money arriving)"), 40)
    balance_column = _text(_l("Balance column"), 40, True)
    counterparty_column = _text(_l("Counterparty column"), 40)
    counterparty_account_column = _text(_l("Counterparty account column"), 40)
    reference_column = _text(_l("Reference column"), 40)
    memo_column = _text(_l("Summary column"), 40)


class ImportForm(FlaskForm):
    file = FileField(_l("Bank statement (CSV)"), validators=[FileRequired(REQUIRED)])


class MatchForm(FlaskForm):
    lines = SelectMultipleField(_l("Bank lines"), coerce=int, choices=[], validate_choice=False)
    postings = SelectMultipleField(_l("Postings"), coerce=int, choices=[], validate_choice=False)


class ActionForm(FlaskForm):
    """A button that writes: auto-match, unmatch, sign off, add the presets."""

