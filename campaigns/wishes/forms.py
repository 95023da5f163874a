"""Staff forms for wishes. Prices are typed in yuan and parsed into fen by the services
(two decimals at most, within the drive's cap)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from campaigns.wishes.board import CATEGORY_LABELS

REQUIRED = _l("This field is required.")
TOO_LONG = _l("At most %(max)d characters.")


class WishForm(FlaskForm):
    beneficiary = StringField(_l("Pseudonym"), description=_l("Never the child's real name."),
                              validators=[DataRequired(REQUIRED), Length(max=40, message=TOO_LONG)])
    age_band = StringField(_l("Age band"), description=_l("e.g. 10–12岁"),
                           validators=[DataRequired(REQUIRED), Length(max=20, message=TOO_LONG)])
    street = SelectField(_l("Street/town"), choices=[])
    category = SelectField(_l("Category"), choices=[SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()])
    item = StringField(_l("Item"), validators=[DataRequired(REQUIRED), Length(max=120, message=TOO_LONG)])
    price = StringField(_l("Price (yuan)"), validators=[DataRequired(REQUIRED), Length(max=20, message=TOO_LONG)])
    story = TextAreaField(_l("Story"), validators=[Optional(), Length(max=2000, message=TOO_LONG)])
    item_en = StringField(_l("Item (English, optional)"), validators=[Optional(), Length(max=120, message=TOO_LONG)])
    story_en = TextAreaField(_l("Story (English, optional)"), validators=[Optional(), Length(max=2000, message=TOO_LONG)])


class NoteForm(FlaskForm):
    """Verify, publish, close, cancel: a button with an optional note."""

    note = StringField(_l("Note"), validators=[Optional(), Length(max=300, message=TOO_LONG)])


class PurchaseForm(FlaskForm):
    amount = StringField(_l("Amount paid (yuan)"), validators=[DataRequired(REQUIRED), Length(max=20, message=TOO_LONG)])
    supplier = StringField(_l("Supplier"), validators=[DataRequired(REQUIRED), Length(max=120, message=TOO_LONG)])
    photo = FileField(_l("Photo of the shop receipt (optional)"),
                      description=_l("JPEG or PNG, at most 2 MB. The receipt only — never a photo "
                                     "of the child or any minor's face."))


class DeliveryForm(FlaskForm):
    note = TextAreaField(_l("Thank-you note for the donor"),
                         validators=[DataRequired(REQUIRED), Length(max=500, message=TOO_LONG)])


class ImportForm(FlaskForm):
    file = FileField(_l("Wish list (CSV)"), validators=[FileRequired(REQUIRED)])


class SettingsForm(FlaskForm):
    price_cap = StringField(_l("Price cap (yuan)"), validators=[DataRequired(REQUIRED), Length(max=20, message=TOO_LONG)])
    reservation_minutes = IntegerField(_l("Reservation holds (minutes)"), validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=1440, message=_l("Between 1 and 1,440 minutes."))])
    refund_late_gifts = BooleanField(_l("Refund late gifts instead of keeping them in the drive's fund"))
    pooled_threshold = StringField(_l("Pooled from (yuan, optional)"), validators=[Optional(), Length(max=20, message=TOO_LONG)],
                                   description=_l("Wishes published at or above this price may be funded by several donors in parts."))
    pooled_min_part = StringField(_l("Smallest part (yuan)"), validators=[Optional(), Length(max=20, message=TOO_LONG)])
