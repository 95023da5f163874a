"""Matching operations: sponsors, pledges and their status, plus (re-exported here so that
views, the CLI and tests have one place to import from) the engine, review, payments and
statements.

Every function takes the SQLAlchemy session, flushes and never commits. Refusals raise
:class:`~campaigns.matching.state.MatchingError` (``message`` safe to show, ``field`` the form
field; from :func:`create_pledge`/:func:`update_pledge` also ``errors``: every problem).
"""
import re
from dataclasses import dataclass, field
from datetime import datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns.matching import state
from campaigns.matching.engine import (apply_matches, live_pledges_for, lock_pledge, move_pledge,
                                       preview_match, record_event, reverse_matches)
from campaigns.matching.gaming import held_matches
from campaigns.matching.models import MatchingPledge, Sponsor
from campaigns.matching.payments import matching_forecast, pledge_statement, record_sponsor_payment
from campaigns.matching.review import reject_match, release_match
from campaigns.models import Campaign, Designation
from core.auth import utcnow
from core.i18n import money

__all__ = ["create_sponsor", "PledgeInput", "validate_pledge", "create_pledge", "update_pledge",
           "change_pledge_status", "end_expired_pledges", "parse_ratio", "apply_matches", "reverse_matches",
           "live_pledges_for", "preview_match", "held_matches", "release_match", "reject_match",
           "record_sponsor_payment", "pledge_statement", "matching_forecast"]

TERMS_LOCKED = _l("The terms of a pledge that has gone live cannot change: matches already made "
                  "keep the terms they were made under. Pause or end it and make a new pledge.")
_RATIO = re.compile(r"^\s*(\d{1,6})\s*[:：/]\s*(\d{1,6})\s*$")


def create_sponsor(session, *, name: str, display_name_zh: str = "", display_name_en: str = "",
                   contact_name: str = "", contact_email: str = "", contact_phone: str = "",
                   logo: bytes | None = None, logo_type: str = "") -> Sponsor:
    """A new sponsor. Raises MatchingError (field ``name``) for a missing or taken name."""
    name = (name or "").strip()
    if not name:
        raise state.MatchingError(_l("Give the sponsor's name."), "name")
    if len(name) > 120:
        raise state.MatchingError(_l("At most %(max)d characters.", max=120), "name")
    if session.scalar(sa.select(Sponsor.id).where(Sponsor.name == name)) is not None:
        raise state.MatchingError(_l("A sponsor with this name already exists."), "name")
    sponsor = Sponsor(name=name, display_name_zh=display_name_zh.strip()[:120],
                      display_name_en=display_name_en.strip()[:120],
                      contact_name=contact_name.strip()[:60], contact_email=contact_email.strip()[:254],
                      contact_phone=contact_phone.strip()[:30], logo=logo, logo_type=logo_type)
    session.add(sponsor)
    session.flush()
    return sponsor


def parse_ratio(text: str) -> tuple[int, int]:
    """``"2:1"`` → ``(2, 1)``: yuan matched per yuan given. Raises MatchingError (``ratio``)."""
    found = _RATIO.match(text or "")
    if not found or int(found[1]) <= 0 or int(found[2]) <= 0:
        raise state.MatchingError(_l("Give the ratio as two whole numbers above zero, like 1:1, "
                                     "2:1 or 1:2."), "ratio")
    return int(found[1]), int(found[2])


@dataclass
class PledgeInput:
    """A pledge's terms, already parsed (amounts in fen, datetimes naive UTC)."""

    campaigns: list[Campaign]
    pool_fen: int
    starts_at: datetime
    ends_at: datetime
    ratio_num: int = 1
    ratio_den: int = 1
    min_gift_fen: int = 0
    cap_per_gift_fen: int | None = None
    cap_per_donor_day_fen: int | None = None
    cap_per_donor_campaign_fen: int | None = None
    daily_opens: time | None = None
    daily_closes: time | None = None
    designations: list[Designation] = field(default_factory=list)
    priority: int = 100
    escrow_bps: int = 0
    matches_recurring: bool = False
    currency: str = "CNY"


#: The fields that are a pledge's terms (fixed once it has gone live).
TERMS = ("pool_fen", "starts_at", "ends_at", "ratio_num", "ratio_den", "min_gift_fen",
         "cap_per_gift_fen", "cap_per_donor_day_fen", "cap_per_donor_campaign_fen",
         "daily_opens", "daily_closes", "escrow_bps", "matches_recurring", "currency")


def _check_amounts(data: PledgeInput, errors: dict) -> None:
    if data.ratio_num <= 0 or data.ratio_den <= 0:
        errors["ratio"] = _l("The ratio must be more than zero, like 1:1, 2:1 or 1:2.")
    if data.pool_fen <= 0:
        errors["pool_fen"] = _l("The pool must be more than zero.")
    if data.min_gift_fen < 0:
        errors["min_gift_fen"] = _l("The minimum gift cannot be negative.")
    if not 0 <= data.escrow_bps <= 10_000:
        errors["escrow_bps"] = _l("The escrow share lies between 0% and 100%.")
    caps = [(n, getattr(data, n)) for n in ("cap_per_gift_fen", "cap_per_donor_day_fen",
                                              "cap_per_donor_campaign_fen")]
    for name, cap in caps:
        if cap is not None and cap <= 0:
            errors[name] = _l("A cap must be more than zero (leave it empty for no cap).")
        elif cap is not None and data.pool_fen > 0 and cap > data.pool_fen:
            errors[name] = _l("A cap cannot be larger than the pool (%(pool)s).",
                              pool=money(data.pool_fen, data.currency))
    _check_cap_order(data, errors)


def _check_cap_order(data: PledgeInput, errors: dict) -> None:
    """Per gift ≤ per donor per day ≤ per donor per campaign, among those set."""
    gift, day, whole = data.cap_per_gift_fen, data.cap_per_donor_day_fen, data.cap_per_donor_campaign_fen
    if day and whole and day > whole and "cap_per_donor_day_fen" not in errors:
        errors["cap_per_donor_day_fen"] = _l(
            "The daily cap per donor cannot be larger than the cap per donor for the campaign.")
    if gift and (day or whole) and gift > min(c for c in (day, whole) if c) \
            and "cap_per_gift_fen" not in errors:
        errors["cap_per_gift_fen"] = _l("The cap per gift cannot be larger than the caps per donor.")


def _check_time(data: PledgeInput, errors: dict) -> None:
    if data.ends_at <= data.starts_at:
        errors["ends_at"] = _l("The window must end after it starts.")
    if data.daily_opens is not None and data.daily_opens == data.daily_closes:
        errors["daily_closes"] = _l("The daily closing time must differ from the opening time.")


def _check_campaigns(data: PledgeInput, errors: dict) -> None:
    if not data.campaigns:
        errors["campaigns"] = _l("Choose at least one campaign to match gifts on.")
    for campaign in data.campaigns:
        if campaign.status == "closed":
            errors["campaigns"] = _l("The campaign “%(title)s” is closed: a pledge needs a "
                                     "campaign that can still take gifts.", title=campaign.title_zh)
        elif campaign.currency != data.currency:
            errors["campaigns"] = _l("The campaign “%(title)s” takes gifts in %(currency)s.",
                                     title=campaign.title_zh, currency=campaign.currency)
    ids = {c.id for c in data.campaigns}
    if any(d.campaign_id not in ids for d in data.designations):
        errors["designations"] = _l("Choose designations of the pledge's campaigns.")


def validate_pledge(data: PledgeInput) -> dict:
    """Every problem with ``data`` (field → message); empty when it may be saved."""
    errors: dict = {}
    _check_amounts(data, errors)
    _check_time(data, errors)
    _check_campaigns(data, errors)
    return errors


def _refuse(errors: dict):
    name, message = next(iter(errors.items()))
    raise state.MatchingError(message, name, errors)


def _apply(pledge: MatchingPledge, data: PledgeInput) -> None:
    for name in TERMS + ("priority",):
        setattr(pledge, name, getattr(data, name))
    pledge.campaigns = list(data.campaigns)
    pledge.designations = list(data.designations)


def create_pledge(session, sponsor: Sponsor, data: PledgeInput, by: str) -> MatchingPledge:
    """A new draft pledge. Raises MatchingError (with ``errors``) for bad terms: a ratio at or
    below zero, caps out of order or above the pool, a window ending before it starts, a
    closed campaign."""
    errors = validate_pledge(data)
    if errors:
        _refuse(errors)
    pledge = MatchingPledge(sponsor=sponsor, status=state.DRAFT, created_by=by)
    _apply(pledge, data)
    session.add(pledge)
    session.flush()
    record_event(session, pledge, "create", by, to_status=state.DRAFT)
    return pledge


def _terms_changed(pledge: MatchingPledge, data: PledgeInput) -> bool:
    if any(getattr(pledge, name) != getattr(data, name) for name in TERMS):
        return True
    return ({c.id for c in pledge.campaigns} != {c.id for c in data.campaigns}
            or {d.id for d in pledge.designations} != {d.id for d in data.designations})


def update_pledge(session, pledge: MatchingPledge, data: PledgeInput, by: str) -> MatchingPledge:
    """Change a draft pledge; once it has gone live only its priority may change. Raises
    MatchingError: bad terms (with ``errors``), or any change of terms after going live."""
    if pledge.status != state.DRAFT and _terms_changed(pledge, data):
        raise state.MatchingError(TERMS_LOCKED)
    errors = validate_pledge(data)
    if errors:
        _refuse(errors)
    _apply(pledge, data)
    record_event(session, pledge, "edit", by, from_status=pledge.status, to_status=pledge.status)
    return pledge


def _check_go_live(pledge: MatchingPledge, now: datetime) -> None:
    if pledge.received_fen < pledge.escrow_required_fen:
        raise state.MatchingError(_l(
            "This pledge can go live once the sponsor has paid %(required)s into escrow; "
            "%(missing)s is still missing.",
            required=money(pledge.escrow_required_fen, pledge.currency),
            missing=money(pledge.escrow_required_fen - pledge.received_fen, pledge.currency)))
    if now >= pledge.ends_at:
        raise state.MatchingError(_l("This pledge's window has ended; it cannot go live."))
    closed = [c for c in pledge.campaigns if c.status == "closed"]
    if closed:
        raise state.MatchingError(_l("The campaign “%(title)s” is closed.", title=closed[0].title_zh))


def change_pledge_status(session, pledge: MatchingPledge, action: str, by: str,
                         now: datetime | None = None) -> MatchingPledge:
    """Apply ``action`` (go_live, pause, resume, exhaust, replenish, end) to the pledge.

    Raises MatchingError when the state machine refuses, when going live before the escrow
    share is received (the message says how much is missing), after the window, or on a
    closed campaign; and for ``replenish`` of a pool with nothing left."""
    if action not in state.TRANSITIONS:
        raise state.MatchingError(_l("Unknown action."))
    now = now or utcnow()
    pledge = lock_pledge(session, pledge.id)
    if action in ("go_live", "resume", "replenish"):
        _check_go_live(pledge, now)
    if action == "replenish" and pledge.remaining_fen <= 0:
        raise state.MatchingError(_l("The pool has nothing left to match with."))
    move_pledge(session, pledge, action, by, at=now)
    return pledge


def end_expired_pledges(session, now: datetime | None = None, by: str = "system") -> int:
    """End every pledge whose window has closed (they match nothing already; this makes the
    status say so). Returns how many were ended; raises nothing."""
    now = now or utcnow()
    ids = list(session.scalars(sa.select(MatchingPledge.id).where(
        MatchingPledge.status.in_((state.DRAFT, state.LIVE, state.PAUSED, state.EXHAUSTED)),
        MatchingPledge.ends_at <= now).order_by(MatchingPledge.priority, MatchingPledge.id)))
    for pledge_id in ids:
        move_pledge(session, lock_pledge(session, pledge_id), "end", by, at=now,
                    note="window closed")
    return len(ids)
