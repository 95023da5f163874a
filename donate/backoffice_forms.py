"""Forms of the back-office donation pages: the list's filter and the finance refund form.

Amounts are typed in yuan and parsed by :meth:`Money.parse` into fen; the views hand the
services minor units only.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from core.forms import REQUIRED, TOO_LONG
from donate import state
from donate.forms import parse_gift as parse_refund
from ledger.forms import QueryForm


class DonationFilterForm(QueryForm):
    """The list's filter, read from the query string (it writes nothing: no CSRF token)."""

    campaign = SelectField(_l("Drive"), choices=[], validate_choice=False)
    status = SelectField(_l("Status"), choices=[], validate_choice=False)
    q = StringField(_l("Receipt number or email contains"),
                    validators=[Length(max=100, message=TOO_LONG)])

    @classmethod
    def with_choices(cls, campaigns, locale: str) -> "DonationFilterForm":
        form = cls()
        form.campaign.choices = [("", _l("All drives"))] + [
            (str(c.id), c.title(locale)) for c in campaigns]
        form.status.choices = [("", _l("All statuses"))] + list(state.STATUS_LABELS.items())
        return form

    @property
    def campaign_id(self) -> int | None:
        """The chosen drive's id; None for "all" or anything that is not one of the choices."""
        known = {value for value, _label in self.campaign.choices if value}
        return int(self.campaign.data) if self.campaign.data in known else None

    @property
    def status_value(self) -> str | None:
        return self.status.data if self.status.data in state.STATUS_LABELS else None

    @property
    def text(self) -> str:
        return (self.q.data or "").strip()[:100]


class RefundForm(FlaskForm):
    amount = StringField(_l("Amount to refund (yuan)"),
                         validators=[DataRequired(REQUIRED), Length(max=20, message=TOO_LONG)])
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED),
                                                   Length(max=200, message=TOO_LONG)])

    #: The refund in fen after validation.
    amount_fen: int | None = None
    #: The donation's currency, set by the view before validating.
    currency: str = "CNY"

    def validate_amount(self, field):
        self.amount_fen = parse_refund(field.data, self.currency)
