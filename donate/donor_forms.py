"""Forms of the donor page. Amounts are typed in yuan and parsed into fen like the donate form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from donate.forms import parse_gift


class EmailForm(FlaskForm):
    """Ask for a sign-in link, or a merge link to a second email."""

    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Please enter your email.")), Email(check_deliverability=False,
                                                            message=_l("Please enter a valid email.")),
        Length(max=254)])


class ConfirmForm(FlaskForm):
    """A button that changes something (sign in with a link, pause, resume, cancel): CSRF only."""


class AmountForm(FlaskForm):
    amount = StringField(_l("New monthly amount (yuan)"), validators=[Length(max=20)])
    #: Set by validation, in fen.
    gift_fen: int | None = None
    currency: str = "CNY"

    def validate_amount(self, field):
        self.gift_fen = parse_gift(field.data, self.currency)


class DesignationForm(FlaskForm):
    designation = RadioField(_l("Where should your monthly gift go?"), choices=[],
                             validate_choice=False)

    def validate_designation(self, field):
        if field.data not in dict(field.choices):
            raise ValidationError(_l("Please choose one of this drive's designations."))


class PreferencesForm(FlaskForm):
    updates = BooleanField(_l("News and updates about the drives I gave to"))
    wish_notes = BooleanField(_l("A note when a wish I funded is delivered"))
