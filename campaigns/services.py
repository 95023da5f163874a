"""Business operations on campaigns and their designations.

Every function takes the SQLAlchemy session, flushes and never commits: the caller (a view, a
CLI command, the demo seed, a test) commits once. Refusals raise :class:`CampaignInvalid`
(field → message, every problem at once) or :class:`~campaigns.state.TransitionError`.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns import state
from campaigns.models import CAMPAIGN_KINDS, FEE_BEARERS, Campaign, Designation
from ledger.errors import LedgerError
from ledger.models import Fund
from ledger.posting import ensure_fund

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
#: "C-" + slug must fit the ledger's 40-character fund code.
SLUG_MAX = 38
TITLE_MAX = 120
#: The ledger fund kinds a donor may designate a gift to, besides the campaign's own fund.
DESIGNABLE_FUND_KINDS = ("subfund", "goods")
GENERAL_LABEL_ZH = "哪里最需要"
GENERAL_LABEL_EN = "Where most needed"
SLUG_TAKEN = _l("Another campaign already uses this address.")
_REMOVAL_REFUSED = _l("Designations cannot be removed once the campaign has been published.")


class CampaignInvalid(ValueError):
    """Input refused; ``errors`` maps a field name to a message safe to show."""

    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class CampaignInput:
    """Everything staff set on a campaign, already parsed (amounts in minor units)."""

    slug: str
    title_zh: str
    kind: str = "pooled"
    title_en: str = ""
    story_zh: str = ""
    story_en: str = ""
    cover_image: str = ""
    currency: str = "CNY"
    goal_fen: int = 0
    donor_goal: int = 0
    homes_goal: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    fee_bearer: str = "designated"
    preset_amounts: tuple[int, ...] = (5000, 10000, 20000, 50000)
    min_gift_fen: int = 100
    max_gift_fen: int = 5_000_000
    #: Ledger fund codes donors may choose besides "where most needed" (the campaign's fund).
    designation_funds: tuple[str, ...] = field(default_factory=tuple)


#: What may not change once a campaign has been public (its fund and its gifts depend on them).
LOCKED_AFTER_DRAFT = ("slug", "kind", "currency")


def campaign_fund_code(slug: str) -> str:
    """The ledger code of a campaign's own restricted fund."""
    return f"C-{slug}".upper()[:40]


def designable_funds(session) -> list[Fund]:
    """The street/town sub-funds and goods funds staff may offer on a campaign."""
    query = sa.select(Fund).where(Fund.kind.in_(DESIGNABLE_FUND_KINDS)).order_by(Fund.kind.desc(), Fund.code)
    return list(session.scalars(query))


def _check_text(data: CampaignInput, errors: dict) -> None:
    if not SLUG_RE.match(data.slug or ""):
        errors["slug"] = _l("Use lower-case letters a–z, digits and hyphens; no hyphen at either end.")
    elif len(data.slug) > SLUG_MAX:
        errors["slug"] = _l("At most %(max)d characters.", max=SLUG_MAX)
    if not data.title_zh.strip():
        errors["title_zh"] = _l("Give the campaign a Chinese title.")
    for name in ("title_zh", "title_en"):
        if len(getattr(data, name)) > TITLE_MAX:
            errors[name] = _l("At most %(max)d characters.", max=TITLE_MAX)
    if data.kind not in CAMPAIGN_KINDS:
        errors["kind"] = _l("Choose a kind of campaign.")
    if data.fee_bearer not in FEE_BEARERS:
        errors["fee_bearer"] = _l("Choose which fund bears processor fees.")


def _check_numbers(data: CampaignInput, errors: dict) -> None:
    for name in ("goal_fen", "donor_goal", "homes_goal"):
        if getattr(data, name) < 0:
            errors[name] = _l("Goals cannot be negative.")
    if data.min_gift_fen < 1:
        errors["min_gift_fen"] = _l("The smallest gift must be more than zero.")
    elif data.max_gift_fen < data.min_gift_fen:
        errors["max_gift_fen"] = _l("The largest gift must not be smaller than the smallest gift.")
    elif any(not data.min_gift_fen <= p <= data.max_gift_fen for p in data.preset_amounts):
        errors["preset_amounts"] = _l("Every preset amount must lie between the smallest and the largest gift.")
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        errors["ends_at"] = _l("The end must come after the start.")


def _check_unique_and_funds(session, data: CampaignInput, campaign: Campaign | None, errors: dict):
    taken = session.scalar(sa.select(Campaign.id).where(Campaign.slug == data.slug))
    if taken is not None and (campaign is None or taken != campaign.id):
        errors["slug"] = SLUG_TAKEN
    known = {f.code for f in designable_funds(session)}
    if set(data.designation_funds) - known:
        errors["designation_funds"] = _l("Choose designations from the funds listed.")


def validate_campaign(session, data: CampaignInput, campaign: Campaign | None = None) -> dict:
    """Every problem with ``data`` (field → message); empty when it may be saved."""
    errors: dict = {}
    _check_text(data, errors)
    _check_numbers(data, errors)
    _check_unique_and_funds(session, data, campaign, errors)
    if campaign is not None and campaign.status != state.DRAFT:
        for name in LOCKED_AFTER_DRAFT:
            if getattr(data, name) != getattr(campaign, name):
                errors[name] = _l("This cannot change once the campaign has been published.")
        offered = {d.fund_code for d in campaign.designations[1:]}
        if offered - set(data.designation_funds):
            errors["designation_funds"] = _REMOVAL_REFUSED
    return errors


def _apply(campaign: Campaign, data: CampaignInput) -> None:
    for name in ("slug", "kind", "title_zh", "title_en", "story_zh", "story_en", "cover_image",
                 "currency", "goal_fen", "donor_goal", "homes_goal", "starts_at", "ends_at",
                 "fee_bearer", "min_gift_fen", "max_gift_fen"):
        value = getattr(data, name)
        setattr(campaign, name, value.strip() if isinstance(value, str) else value)
    campaign.preset_amounts = ",".join(str(p) for p in sorted(set(data.preset_amounts)))


def create_campaign(session, data: CampaignInput) -> Campaign:
    """A new draft campaign with its designations; :class:`CampaignInvalid` if refused."""
    errors = validate_campaign(session, data)
    if errors:
        raise CampaignInvalid(errors)
    campaign = Campaign(status=state.DRAFT)
    _apply(campaign, data)
    session.add(campaign)
    set_designations(session, campaign, data.designation_funds)
    session.flush()
    return campaign


def update_campaign(session, campaign: Campaign, data: CampaignInput) -> Campaign:
    """Change a campaign; slug, kind and currency only while it is a draft."""
    errors = validate_campaign(session, data, campaign)
    if errors:
        raise CampaignInvalid(errors)
    set_designations(session, campaign, data.designation_funds)
    _apply(campaign, data)
    # A draft's slug may change, and with it the code its own fund will have.
    campaign.designations[0].fund_code = campaign.fund_code or campaign_fund_code(campaign.slug)
    session.flush()
    return campaign


def add_designation(session, campaign: Campaign, fund_code: str, *, kind: str,
                    label_zh: str, label_en: str = "") -> Designation:
    """Offer one more fund to donors on ``campaign`` (or return the one already offered)."""
    existing = campaign.designation_for(fund_code)
    if existing is not None:
        return existing
    designation = Designation(fund_code=fund_code, kind=kind, label_zh=label_zh[:120],
                              label_en=label_en[:120], position=len(campaign.designations))
    campaign.designations.append(designation)
    session.flush()
    return designation


def set_designations(session, campaign: Campaign, fund_codes) -> None:
    """Offer "where most needed" first, then ``fund_codes`` in order.

    Once a campaign has been public, gifts may point at its designations: they can be added
    but never removed.
    """
    wanted = [campaign_fund_code(campaign.slug)] + [c for c in dict.fromkeys(fund_codes)]
    current = [d.fund_code for d in campaign.designations[1:]]
    removed = set(current) - set(wanted[1:])
    if removed and campaign.status != state.DRAFT:
        raise CampaignInvalid({"designation_funds": _REMOVAL_REFUSED})
    if not campaign.designations:
        add_designation(session, campaign, wanted[0], kind="general",
                        label_zh=GENERAL_LABEL_ZH, label_en=GENERAL_LABEL_EN)
    for designation in [d for d in campaign.designations[1:] if d.fund_code in removed]:
        campaign.designations.remove(designation)
    funds = {f.code: f for f in designable_funds(session)}
    for code in wanted[1:]:
        fund = funds[code]
        add_designation(session, campaign, code, kind=fund.kind,
                        label_zh=fund.name_zh, label_en=fund.name_en)
    for position, designation in enumerate(campaign.designations):
        designation.position = position


def open_campaign_fund(session, campaign: Campaign) -> str:
    """Give ``campaign`` its restricted ledger fund, once (idempotent)."""
    code = campaign.fund_code or campaign_fund_code(campaign.slug)
    ensure_fund(session, code, name_zh=campaign.title_zh[:120],
                name_en=(campaign.title_en or campaign.title_zh)[:120],
                restriction="restricted", kind="campaign")
    campaign.fund_code = code
    return code


def change_status(session, campaign: Campaign, action: str) -> Campaign:
    """Apply ``action`` (publish, pause, resume, close) through :mod:`campaigns.state`.

    The update is conditional on the status read, so two staff clicking at once cannot both
    move the campaign: the second gets a :class:`~campaigns.state.TransitionError`.
    """
    current = campaign.status
    target = state.next_status(current, action)
    if target == state.LIVE and campaign.fund_code is None:
        try:
            open_campaign_fund(session, campaign)
        except LedgerError as err:
            raise state.TransitionError(_l("The ledger could not open the campaign’s fund: %(reason)s",
                                            reason=str(err))) from err
    session.flush()
    result = session.execute(
        sa.update(Campaign).where(Campaign.id == campaign.id, Campaign.status == current)
        .values(status=target).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.expire(campaign)
        raise state.TransitionError(_l("Someone else changed this campaign meanwhile; reload and try again."))
    session.expire(campaign, ["status"])
    return campaign


def publish_campaign(session, campaign: Campaign) -> Campaign:
    return change_status(session, campaign, "publish")


def pause_campaign(session, campaign: Campaign) -> Campaign:
    return change_status(session, campaign, "pause")


def resume_campaign(session, campaign: Campaign) -> Campaign:
    return change_status(session, campaign, "resume")


def close_campaign(session, campaign: Campaign) -> Campaign:
    return change_status(session, campaign, "close")


def campaign_by_slug(session, slug: str) -> Campaign | None:
    return session.scalar(sa.select(Campaign).where(Campaign.slug == slug))


def list_campaigns(session) -> list[Campaign]:
    """Every campaign for the staff index: drafts and live ones first, newest first."""
    order = sa.case({state.DRAFT: 0, state.LIVE: 1, state.PAUSED: 2}, value=Campaign.status, else_=3)
    return list(session.scalars(sa.select(Campaign).order_by(order, Campaign.created_at.desc(), Campaign.id.desc())))
