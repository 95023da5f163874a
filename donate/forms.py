"""Public giving forms. Amounts are typed in yuan and parsed by :meth:`Money.parse` into fen;
the view hands the service minor units only."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional, ValidationError

from ledger.money import Money, MoneyError

CUSTOM = "custom"
ONCE, MONTHLY = "once", "monthly"
MESSAGE_MAX = 200
NAME_MAX = 60


def parse_gift(text: str, currency: str) -> int:
    """Fen of a positive amount typed by a donor; ``ValidationError`` with a clear message."""
    # The yuan sign and thousands separators, half- or full-width, as phones type them.
    text = (text or "").strip()
    for mark in ("¥", "￥", "，", ","):
        text = text.replace(mark, "")
    if not text:
        raise ValidationError(_l("Please enter an amount."))
    try:
        amount = Money.parse(text, currency, allow_negative=True).amount
    except MoneyError:
        raise ValidationError(_l("Enter an amount in yuan, like 50 or 12.50 "
                                 "(at most two decimal places).")) from None
    if amount <= 0:
        raise ValidationError(_l("The amount must be more than zero."))
    return amount


class DonateForm(FlaskForm):
    preset = RadioField(_l("Amount"), choices=[], validate_choice=False)
    custom_amount = StringField(_l("Other amount (yuan)"), validators=[Length(max=20)])
    designation = RadioField(_l("Where should your gift go?"), choices=[], validate_choice=False)
    donor_name = StringField(_l("Your name as shown to others"),
                             validators=[Optional(), Length(max=NAME_MAX)])
    anonymous = BooleanField(_l("Give anonymously"))
    message = TextAreaField(_l("A message (optional)"),
                            validators=[Optional(), Length(max=MESSAGE_MAX)])
    email = EmailField(_l("Email for your receipt"),
                       validators=[Optional(), Email(check_deliverability=False), Length(max=254)])
    cover_fee = BooleanField(_l("I'll cover the card fee"))
    # -- monthly giving (donate/recurring.py) --
    frequency = RadioField(_l("How often?"), default=ONCE, choices=[
        SelectChoice(ONCE, _l("Once")), SelectChoice(MONTHLY, _l("Every month"))])
    #: A honeypot: hidden from people, filled in by bots.
    website = StringField(_l("Leave this empty"))

    #: The gift in fen after validation (without any fee cover).
    gift_fen: int | None = None
    #: The campaign's currency, set by :meth:`for_campaign`.
    currency: str = "CNY"

    @classmethod
    def for_campaign(cls, campaign, locale: str):
        """The form for ``campaign``: its presets and designations, labelled in ``locale``."""
        form = cls()
        form.currency = campaign.currency
        form.preset.choices = [(str(fen), "") for fen in preset_amounts(campaign)] + [(CUSTOM, "")]
        form.designation.choices = [(str(d.id), d.label(locale)) for d in campaign.designations]
        if len(campaign.designations) == 1 and not form.designation.data:
            form.designation.data = str(campaign.designations[0].id)
        return form

    def validate_preset(self, field):
        if field.data and field.data != CUSTOM and field.data not in dict(field.choices):
            raise ValidationError(_l("Please choose one of the amounts shown or type your own."))

    def validate_custom_amount(self, field):
        if self.preset.data and self.preset.data != CUSTOM:
            if self.preset.data in dict(self.preset.choices):
                self.gift_fen = int(self.preset.data)
            return
        self.gift_fen = parse_gift(field.data, self.currency)

    def validate_designation(self, field):
        if field.data not in dict(field.choices):
            raise ValidationError(_l("Please choose one of this drive's designations."))


def preset_amounts(campaign) -> list[int]:
    """The campaign's preset gifts in fen, ignoring anything malformed."""
    out = []
    for part in (campaign.preset_amounts or "").split(","):
        if part.strip().isdigit() and int(part) > 0:
            out.append(int(part))
    return out


class VerifyReceiptForm(FlaskForm):
    class Meta:
        csrf = False  # a GET lookup that writes nothing

    number = StringField(_l("Receipt number"), validators=[Length(max=20)])
    code = StringField(_l("Verification code"), validators=[Length(max=20)])
