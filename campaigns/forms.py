"""Staff forms for campaigns. Amounts are typed in yuan ("50", "12.50") and parsed by
:meth:`ledger.money.Money.parse`; the form hands the service minor units only."""
from flask_babel import lazy_gettext as _l
from flask_babel import to_utc, to_user_timezone
from flask_wtf import FlaskForm
from wtforms import (DateTimeLocalField, HiddenField, IntegerField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from campaigns import state
from campaigns.services import SLUG_MAX, TITLE_MAX, CampaignInput
from ledger.money import Money, MoneyError, format_plain

KIND_CHOICES = [SelectChoice("pooled", _l("Pooled drive")), SelectChoice("wish", _l("Micro-wish drive"))]
CURRENCY_CHOICES = [SelectChoice("CNY", _l("Chinese yuan (CNY)"))]
FEE_BEARER_CHOICES = [
    SelectChoice("designated", _l("The fund the donor chose")),
    SelectChoice("general", _l("The general fund")),
]
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


#: What staff see for each of ``MoneyError.code``'s reasons (the ledger's own text is English).
_MONEY_MESSAGES = {
    "too_many_decimals": _l("Use at most two decimal places (fen)."),
    "too_large": _l("The amount is too large."),
    "currency": _l("Choose a currency."),
}


def parse_amount(text: str, currency: str) -> int:
    """Minor units of a positive amount typed by staff; ``ValidationError`` otherwise."""
    try:
        money = Money.parse(text, currency, allow_negative=True)
    except MoneyError as err:
        message = _MONEY_MESSAGES.get(err.code, _l("Enter an amount like 50 or 12.50."))
        raise ValidationError(message) from None
    if money.amount <= 0:
        raise ValidationError(_l("The amount must be more than zero."))
    return money.amount


def _currency(form) -> str:
    """The form's currency; CNY when the field is locked (removed) or empty."""
    return (form["currency"].data if "currency" in form else None) or "CNY"


class MoneyField(StringField):
    """An amount in major units; ``fen`` holds the parsed minor units after validation."""

    fen: int | None = None

    def pre_validate(self, form):
        self.fen = None
        if not (self.data or "").strip():
            return  # DataRequired / Optional decide
        self.fen = parse_amount(self.data, _currency(form))


class AmountListField(StringField):
    """Comma-separated amounts ("50, 100, 200"); ``fen`` holds the parsed list."""

    fen: tuple = ()

    def pre_validate(self, form):
        parts = [p.strip() for p in (self.data or "").replace("，", ",").split(",") if p.strip()]
        if len(parts) > 8:
            raise ValidationError(_l("At most eight preset amounts."))
        self.fen = tuple(parse_amount(p, _currency(form)) for p in parts)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def fen_text(fen: int, currency: str = "CNY") -> str:
    """Minor units back to what staff type: 5000 → "50", 1250 → "12.50"."""
    text = format_plain(fen, currency)
    whole, _dot, minor = text.partition(".")
    return whole if not minor.strip("0") else text


class CampaignForm(FlaskForm):
    slug = StringField(_l("Web address (slug)"), validators=[DataRequired(), Length(max=SLUG_MAX)],
                       description=_l("Lower-case letters, digits and hyphens: /c/your-slug"))
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    title_en = StringField(_l("Title (English)"), validators=[Length(max=TITLE_MAX)])
    story_zh = TextAreaField(_l("Story (Chinese)"), validators=[Length(max=20000)])
    story_en = TextAreaField(_l("Story (English)"), validators=[Length(max=20000)])
    cover_image = StringField(_l("Cover image (URL or /static/ path)"), validators=[Length(max=255)])
    currency = SelectField(_l("Currency"), choices=CURRENCY_CHOICES, default="CNY")
    goal = MoneyField(_l("Money goal (yuan)"), validators=[Optional()])
    donor_goal = IntegerField(_l("Donor goal"), default=0, validators=[Optional(), NumberRange(min=0, max=10**9)])
    homes_goal = IntegerField(_l("Homes goal"), default=0, validators=[Optional(), NumberRange(min=0, max=10**9)])
    starts_at = DateTimeLocalField(_l("Starts"), format=DATETIME_FORMAT, validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMAT, validators=[Optional()])
    fee_bearer = SelectField(_l("Processor fees are borne by"), choices=FEE_BEARER_CHOICES)
    preset_amounts = AmountListField(_l("Preset amounts (yuan, comma-separated)"), default="50, 100, 200, 500")
    min_gift = MoneyField(_l("Smallest gift (yuan)"), default="1", validators=[DataRequired()])
    max_gift = MoneyField(_l("Largest gift (yuan)"), default="50000", validators=[DataRequired()])
    designation_funds = MultiCheckboxField(_l("Designations donors may choose"), choices=[],
                                           description=_l("“Where most needed” is always offered."))

    def validate_cover_image(self, field):
        value = (field.data or "").strip()
        if value and not value.startswith(("https://", "/static/")):
            raise ValidationError(_l("Use an https:// address or a /static/ path."))

    def to_input(self, locked_from=None) -> CampaignInput:
        """The parsed input; fields removed from the form (locked) keep ``locked_from``'s values."""
        def value(name, default=None):
            return getattr(self, name).data if name in self else getattr(locked_from, name, default)

        return CampaignInput(
            slug=(value("slug") or "").strip().lower(), kind=value("kind"),
            title_zh=self.title_zh.data.strip(), title_en=(self.title_en.data or "").strip(),
            story_zh=self.story_zh.data or "", story_en=self.story_en.data or "",
            cover_image=(self.cover_image.data or "").strip(), currency=value("currency"),
            goal_fen=self.goal.fen or 0, donor_goal=self.donor_goal.data or 0,
            homes_goal=self.homes_goal.data or 0,
            starts_at=to_utc(self.starts_at.data) if self.starts_at.data else None,
            ends_at=to_utc(self.ends_at.data) if self.ends_at.data else None,
            fee_bearer=self.fee_bearer.data, preset_amounts=self.preset_amounts.fen,
            min_gift_fen=self.min_gift.fen, max_gift_fen=self.max_gift.fen,
            designation_funds=tuple(self.designation_funds.data or ()),
        )

    def fill_from(self, campaign) -> None:
        """Show an existing campaign in the form (amounts back in yuan, times in local time)."""
        for name in ("slug", "kind", "title_zh", "title_en", "story_zh", "story_en",
                     "cover_image", "currency", "donor_goal", "homes_goal", "fee_bearer"):
            if name in self:
                getattr(self, name).data = getattr(campaign, name)
        cur = campaign.currency
        self.goal.data = fen_text(campaign.goal_fen, cur) if campaign.goal_fen else ""
        self.min_gift.data, self.max_gift.data = fen_text(campaign.min_gift_fen, cur), fen_text(campaign.max_gift_fen, cur)
        self.preset_amounts.data = ", ".join(fen_text(p, cur) for p in campaign.preset_amounts_fen)
        for name in ("starts_at", "ends_at"):
            when = getattr(campaign, name)
            getattr(self, name).data = to_user_timezone(when).replace(tzinfo=None) if when else None
        self.designation_funds.data = [d.fund_code for d in campaign.designations[1:]]


class StatusForm(FlaskForm):
    """One button: publish, pause, resume or close."""

    action = HiddenField(validators=[DataRequired(), AnyOf(list(state.TRANSITIONS))])
