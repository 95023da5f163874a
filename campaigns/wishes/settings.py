"""A wish drive's settings: price cap, reservation minutes, the fate of late gifts."""
from flask_babel import lazy_gettext as _l

from campaigns.models import Campaign
from campaigns.wishes.models import DEFAULT_MIN_PART_FEN, DEFAULT_PRICE_CAP_FEN, WishDriveSettings
from campaigns.wishes.state import WishError

__all__ = ["drive_settings", "update_drive_settings"]


def drive_settings(session, campaign: Campaign) -> WishDriveSettings:
    """The drive's wish settings, created with the defaults on first use."""
    found = session.get(WishDriveSettings, campaign.id)
    if found is None:
        found = WishDriveSettings(campaign_id=campaign.id, price_cap_fen=DEFAULT_PRICE_CAP_FEN,
                                  reservation_minutes=15, refund_late_gifts=False,
                                  pooled_min_part_fen=DEFAULT_MIN_PART_FEN)
        session.add(found)
        session.flush()
    return found


def update_drive_settings(session, campaign: Campaign, *, price_cap_fen: int,
                          reservation_minutes: int, refund_late_gifts: bool,
                          pooled_threshold_fen: int | None = None,
                          pooled_min_part_fen: int = DEFAULT_MIN_PART_FEN) -> WishDriveSettings:
    """Change the settings; wishes already made keep their price even above a lower cap, and
    their way of funding (whole or pooled) as it was when they were published."""
    if price_cap_fen <= 0:
        raise WishError(_l("The price cap must be more than zero."), "price_cap")
    if not 1 <= reservation_minutes <= 1440:
        raise WishError(_l("A reservation holds between 1 and 1,440 minutes."), "reservation_minutes")
    if pooled_threshold_fen is not None and pooled_threshold_fen <= 0:
        raise WishError(_l("The threshold must be more than zero."), "pooled_threshold")
    if pooled_min_part_fen <= 0:
        raise WishError(_l("The smallest part must be more than zero."), "pooled_min_part")
    found = drive_settings(session, campaign)
    found.price_cap_fen, found.reservation_minutes = price_cap_fen, reservation_minutes
    found.refund_late_gifts = refund_late_gifts
    found.pooled_threshold_fen, found.pooled_min_part_fen = pooled_threshold_fen, pooled_min_part_fen
    session.flush()
    return found
