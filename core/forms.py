"""Forms of the core pages; every form is a FlaskForm, so it carries a CSRF token."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length
from wtforms.widgets import CheckboxInput, ListWidget

from core.access import ADMIN, AUDITOR, FINANCE, ROLES, STAFF
from core.auth import MIN_PASSWORD_LENGTH

#: Our own messages, so that they come from our catalog in the user's language.
REQUIRED = _l("This field is required.")
TOO_LONG = _l("At most %(max)d characters.")


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Length(max=254, message=TOO_LONG)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)]
    )


#: How each role is named on the pages.
ROLE_LABELS = {
    STAFF: _l("Staff"), FINANCE: _l("Finance officer"), ADMIN: _l("Administrator"),
    AUDITOR: _l("Auditor"),
}


class RolesField(SelectMultipleField):
    """Roles as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RolesForm(FlaskForm):
    roles = RolesField(_l("Roles"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES],
                       validators=[DataRequired(_l("Choose at least one role."))])


class NewUserForm(RolesForm):
    email = EmailField(_l("Email"), validators=[
        DataRequired(REQUIRED), Length(max=254, message=TOO_LONG),
        Email(_l("Enter an email address like name@example.org.")),
    ])
    display_name = StringField(_l("Name"), validators=[Length(max=100, message=TOO_LONG)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(REQUIRED), Length(max=200, message=TOO_LONG),
        Length(min=MIN_PASSWORD_LENGTH, message=_l("At least %(min)d characters.")),
    ])
