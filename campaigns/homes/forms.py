"""Staff forms of issue #5. Amounts are typed in yuan and parsed into fen by ``goods.parse_price``
(two decimals at most); the services receive fen and whole quantities only."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from campaigns.homes.goods import PAIRING_LABELS

REQUIRED = _l("This field is required.")
TOO_LONG = _l("At most %(max)d characters.")


class DisbursementForm(FlaskForm):
    amount = StringField(_l("Amount (yuan)"), validators=[DataRequired(REQUIRED), Length(max=20, message=TOO_LONG)])
    purpose = StringField(_l("Purpose"), validators=[DataRequired(REQUIRED), Length(max=300, message=TOO_LONG)])


class DecisionForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300, message=TOO_LONG)])


class RegionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=80, message=TOO_LONG)])
    province = StringField(_l("Province"), validators=[DataRequired(REQUIRED), Length(max=40, message=TOO_LONG)])
    pairing_type = SelectField(_l("Pairing"), choices=[SelectChoice(k, v) for k, v in PAIRING_LABELS.items()])
    fund_code = SelectField(_l("Goods fund"), choices=[])


class SupplierForm(FlaskForm):
    region_id = SelectField(_l("Region"), coerce=int, choices=[])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120, message=TOO_LONG)])


class GoodForm(FlaskForm):
    region_id = SelectField(_l("Origin"), coerce=int, choices=[])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(REQUIRED), Length(max=80, message=TOO_LONG)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=80, message=TOO_LONG)])
    unit = StringField(_l("Unit"), validators=[DataRequired(REQUIRED), Length(max=20, message=TOO_LONG)])
    unit_price = StringField(_l("Unit price (yuan)"), validators=[DataRequired(REQUIRED), Length(max=20, message=TOO_LONG)])


class OrderForm(FlaskForm):
    supplier_id = SelectField(_l("Supplier"), coerce=int, choices=[])
    lines = TextAreaField(
        _l("Lines"), description=_l("One line per item: goods number, quantity, unit price in yuan — e.g. 1, 400, 30"),
        validators=[DataRequired(REQUIRED), Length(max=5000, message=TOO_LONG)])


class ReceiveForm(FlaskForm):
    """Quantities and lot numbers come as ``qty-<line id>`` and ``lot-<line id>`` fields."""

    received_on = DateField(_l("Received on"), validators=[InputRequired(REQUIRED)])


class PayForm(FlaskForm):
    amount = StringField(_l("Amount (yuan)"), validators=[DataRequired(REQUIRED), Length(max=20, message=TOO_LONG)])
    paid_on = DateField(_l("Paid on"), validators=[InputRequired(REQUIRED)])


class ImportForm(FlaskForm):
    file = FileField(_l("Household list (CSV)"), validators=[FileRequired(REQUIRED)])


class ConfirmImportForm(FlaskForm):
    mode = HiddenField(validators=[AnyOf(("all", "good"))])


class AssignForm(FlaskForm):
    street = StringField(_l("Street/town code"), validators=[DataRequired(REQUIRED), Length(max=12, message=TOO_LONG)])
    recipe_id = SelectField(_l("Gift pack"), coerce=int, choices=[])


class DeliveryForm(FlaskForm):
    delivered_on = DateField(_l("Delivered on"), validators=[InputRequired(REQUIRED)])
    delivered_by = StringField(_l("Delivered by"), validators=[DataRequired(REQUIRED), Length(max=80, message=TOO_LONG)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300, message=TOO_LONG)])




class RecipeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=80, message=TOO_LONG)])
    fund_code = SelectField(_l("Goods fund"), choices=[])
    items = TextAreaField(
        _l("Items"), description=_l("One line per item: goods number, quantity — e.g. 1, 4"),
        validators=[DataRequired(REQUIRED), Length(max=2000, message=TOO_LONG)])


class LiaisonForm(FlaskForm):
    email = StringField(_l("Email of the staff member"),
                        validators=[DataRequired(REQUIRED), Length(max=254, message=TOO_LONG)])
    street = StringField(_l("Street/town code"), validators=[DataRequired(REQUIRED), Length(max=12, message=TOO_LONG)])
