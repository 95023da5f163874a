"""Forms for starting a team (staff and public alike) and opening a campaign to public teams."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Optional

from campaigns.teams.models import NAME_MAX


class TeamForm(FlaskForm):
    # Lengths and HTML are checked by the service, so that every way in gets one message.
    name = StringField(_l("Team name"), description=_l("A company, a school class, a neighbourhood "
                                                       "committee… At most %(max)d characters, plain text.",
                                                       max=NAME_MAX))
    slug = StringField(_l("Address (optional)"), validators=[Optional()],
                       description=_l("Lower-case letters, digits and hyphens, e.g. class-3-2."))
    goal = StringField(_l("Goal in yuan (optional)"), validators=[Optional()])


class TeamsOpenForm(FlaskForm):
    teams_open = BooleanField(_l("Members of the public may start teams on this campaign"))
