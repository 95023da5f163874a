"""Staff forms for sponsors, matching pledges, their status, held matches and sponsor payments.

Amounts are typed in yuan and parsed by :func:`campaigns.forms.parse_amount` (one yuan parser);
the forms hand the services fen, naive UTC datetimes and rows only. Every refusal here is a
form error in the user's language, so that nothing is written on bad input.
"""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import to_utc, to_user_timezone
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, DateTimeLocalField, EmailField, HiddenField,
                     IntegerField, SelectField, StringField, TimeField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (AnyOf, DataRequired, Email, InputRequired, Length, NumberRange,
                                Optional, ValidationError)

from campaigns.forms import DATETIME_FORMAT, MoneyField, MultiCheckboxField, fen_text
from campaigns.matching.services import PledgeInput, parse_ratio
from campaigns.matching.state import MatchingError

REQUIRED = _l("This field is required.")
TOO_LONG = _l("At most %(max)d characters.")
#: Logo uploads: the media types accepted, recognised by their first bytes (not the name).
LOGO_MAX_BYTES = 200 * 1024
LOGO_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
#: The service's names for the fields whose form names differ (refusals go back there).
SERVICE_FIELDS = {"pool_fen": "pool", "min_gift_fen": "min_gift", "escrow_bps": "escrow_percent",
                  "cap_per_gift_fen": "cap_per_gift", "cap_per_donor_day_fen": "cap_per_donor_day",
                  "cap_per_donor_campaign_fen": "cap_per_donor_campaign"}
#: The status changes staff make by hand ("exhaust" and "replenish" are the engine's).
STAFF_ACTIONS = ("go_live", "pause", "resume", "end")


def logo_type(data: bytes) -> str | None:
    """The media type of a PNG, JPEG or WebP image by its signature; None for anything else."""
    for magic, media_type in LOGO_SIGNATURES:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class SponsorForm(FlaskForm):
    name = StringField(_l("Legal name"), validators=[DataRequired(REQUIRED), Length(max=120, message=TOO_LONG)])
    display_name_zh = StringField(_l("Name shown to donors (Chinese)"),
                                  validators=[Length(max=120, message=TOO_LONG)])
    display_name_en = StringField(_l("Name shown to donors (English)"),
                                  validators=[Length(max=120, message=TOO_LONG)])
    contact_name = StringField(_l("Contact person"), validators=[Length(max=60, message=TOO_LONG)])
    contact_email = EmailField(_l("Contact email"), validators=[
        Optional(), Length(max=254, message=TOO_LONG),
        Email(_l("Enter an email address like name@example.org."), check_deliverability=False)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=30, message=TOO_LONG)])
    logo = FileField(_l("Logo (PNG, JPEG or WebP, at most 200 KB)"))

    #: The uploaded logo's bytes and media type after validation (None: no new logo).
    logo_bytes: bytes | None = None
    logo_media_type: str = ""

    def validate_logo(self, field):
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            return
        data = upload.read(LOGO_MAX_BYTES + 1)
        if len(data) > LOGO_MAX_BYTES:
            raise ValidationError(_l("The logo is too large: at most %(kb)d KB.", kb=LOGO_MAX_BYTES // 1024))
        media_type = logo_type(data)
        if media_type is None:
            raise ValidationError(_l("The logo must be a PNG, JPEG or WebP image."))
        self.logo_bytes, self.logo_media_type = data, media_type

    def to_input(self) -> dict:
        """The sponsor's fields, stripped; the logo only when a new one was uploaded."""
        data = {name: (self[name].data or "").strip() for name in
                ("name", "display_name_zh", "display_name_en", "contact_name", "contact_email",
                 "contact_phone")}
        if self.logo_bytes is not None:
            data.update(logo=self.logo_bytes, logo_type=self.logo_media_type)
        return data

    def fill_from(self, sponsor) -> None:
        for name in ("name", "display_name_zh", "display_name_en", "contact_name",
                     "contact_email", "contact_phone"):
            self[name].data = getattr(sponsor, name)


class PledgeForm(FlaskForm):
    """A pledge's terms. Only parsing happens here; :func:`services.validate_pledge` judges the
    terms (ratio, caps against the pool, the window, closed campaigns) and the view puts its
    refusals back on these fields (:data:`SERVICE_FIELDS`)."""

    sponsor = SelectField(_l("Sponsor"), coerce=int, validate_choice=False)
    campaigns = MultiCheckboxField(_l("Campaigns it covers"), coerce=int, validate_choice=False)
    ratio = StringField(_l("Ratio (matched : given)"), default="1:1",
                        validators=[DataRequired(REQUIRED), Length(max=20, message=TOO_LONG)],
                        description=_l("2:1 adds ¥2 for every ¥1 given; 1:2 adds ¥0.50."))
    min_gift = MoneyField(_l("Smallest gift that qualifies (yuan)"), validators=[Optional()])
    cap_per_gift = MoneyField(_l("Largest match per gift (yuan)"), validators=[Optional()])
    cap_per_donor_day = MoneyField(_l("Largest match per donor per day (yuan)"), validators=[Optional()])
    cap_per_donor_campaign = MoneyField(_l("Largest match per donor per campaign (yuan)"),
                                        validators=[Optional()])
    pool = MoneyField(_l("Total pool (yuan)"), validators=[DataRequired(REQUIRED)])
    starts_at = DateTimeLocalField(_l("Window opens"), format=DATETIME_FORMAT,
                                   validators=[DataRequired(REQUIRED)])
    ends_at = DateTimeLocalField(_l("Window closes"), format=DATETIME_FORMAT,
                                 validators=[DataRequired(REQUIRED)])
    daily_opens = TimeField(_l("Opens each day at (optional)"), validators=[Optional()])
    daily_closes = TimeField(_l("Closes each day at (optional)"), validators=[Optional()])
    designations = MultiCheckboxField(_l("Eligible designations (none ticked: all)"), coerce=int,
                                      validate_choice=False)
    priority = IntegerField(_l("Priority (lower goes first)"), default=100,
                            validators=[InputRequired(REQUIRED), NumberRange(min=0, max=10000)])
    escrow_percent = IntegerField(_l("Share of the pool to receive before going live (%)"), default=0,
                                  validators=[InputRequired(REQUIRED), NumberRange(min=0, max=100)])
    matches_recurring = BooleanField(_l("Monthly gifts qualify"))

    def offer(self, sponsors, campaigns, locale: str) -> "PledgeForm":
        """Fill the choices: every sponsor, the campaigns still open and their designations."""
        self.sponsor.choices = [SelectChoice(s.id, s.name) for s in sponsors]
        self.campaign_rows = {c.id: c for c in campaigns}
        self.designation_rows = {d.id: d for c in campaigns for d in c.designations}
        shown = [c for c in campaigns if c.status != "closed"]
        self.campaigns.choices = [SelectChoice(c.id, c.title(locale)) for c in shown]
        self.designations.choices = [SelectChoice(d.id, f"{c.title(locale)} — {d.label(locale)}")
                                     for c in shown for d in c.designations]
        return self

    def validate_sponsor(self, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Choose a sponsor."))

    def validate_campaigns(self, field):
        if any(cid not in self.campaign_rows for cid in field.data or ()):
            raise ValidationError(_l("Choose campaigns from the list."))

    def validate_designations(self, field):
        if any(did not in self.designation_rows for did in field.data or ()):
            raise ValidationError(_l("Choose designations from the list."))

    def validate_ratio(self, field):
        try:
            parse_ratio(field.data)
        except MatchingError as err:
            raise ValidationError(err.message) from None

    def to_input(self) -> PledgeInput:
        """The parsed terms: fen, naive UTC datetimes, the chosen rows, the ratio's two parts."""
        num, den = parse_ratio(self.ratio.data)
        return PledgeInput(
            campaigns=[self.campaign_rows[i] for i in self.campaigns.data or ()],
            designations=[self.designation_rows[i] for i in self.designations.data or ()],
            ratio_num=num, ratio_den=den, min_gift_fen=self.min_gift.fen or 0,
            cap_per_gift_fen=self.cap_per_gift.fen, cap_per_donor_day_fen=self.cap_per_donor_day.fen,
            cap_per_donor_campaign_fen=self.cap_per_donor_campaign.fen, pool_fen=self.pool.fen,
            starts_at=to_utc(self.starts_at.data), ends_at=to_utc(self.ends_at.data),
            daily_opens=self.daily_opens.data, daily_closes=self.daily_closes.data,
            priority=self.priority.data, escrow_bps=self.escrow_percent.data * 100,
            matches_recurring=bool(self.matches_recurring.data))

    def fill_from(self, pledge) -> None:
        """Show a pledge's terms (yuan, local times) in the form."""
        self.sponsor.data = pledge.sponsor_id
        self.campaigns.data = [c.id for c in pledge.campaigns]
        self.designations.data = [d.id for d in pledge.designations]
        self.ratio.data = f"{pledge.ratio_num}:{pledge.ratio_den}"
        for name in ("min_gift", "cap_per_gift", "cap_per_donor_day", "cap_per_donor_campaign", "pool"):
            fen = getattr(pledge, name + "_fen")
            self[name].data = fen_text(fen, pledge.currency) if fen else ""
        for name in ("starts_at", "ends_at"):
            self[name].data = to_user_timezone(getattr(pledge, name)).replace(tzinfo=None)
        self.daily_opens.data, self.daily_closes.data = pledge.daily_opens, pledge.daily_closes
        self.priority.data, self.escrow_percent.data = pledge.priority, pledge.escrow_bps // 100
        self.matches_recurring.data = pledge.matches_recurring

    def put_errors(self, err: MatchingError) -> None:
        """A service's refusals back on the fields they concern (else on the ratio)."""
        errors = getattr(err, "errors", None) or {err.field: err.message}
        for name, message in errors.items():
            target = self[SERVICE_FIELDS.get(name, name)] if SERVICE_FIELDS.get(name, name) in self else self.ratio
            target.errors = list(target.errors) + [message]


class PledgeStatusForm(FlaskForm):
    """One button: go live, pause, resume or end."""

    action = HiddenField(validators=[DataRequired(), AnyOf(list(STAFF_ACTIONS))])


class ReviewForm(FlaskForm):
    """Release or reject one held match."""

    decision = HiddenField(validators=[DataRequired(), AnyOf(["release", "reject"])])


class PaymentForm(FlaskForm):
    """A sponsor's payment into the bank, recorded by finance."""

    amount = MoneyField(_l("Amount received (yuan)"), validators=[DataRequired(REQUIRED)])
    day = DateField(_l("Day received"), default=date.today, validators=[DataRequired(REQUIRED)])
    reference = StringField(_l("Bank reference"), validators=[Length(max=100, message=TOO_LONG)])

