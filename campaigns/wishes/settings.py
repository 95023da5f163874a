"""A wish drive's settings: price cap, reservation minutes, the fate of late gifts."""
from flask_babel import lazy_gettext as _l

from campaigns.models import Campaign
from campaigns.wishes.models import DEFAULT_PRICE_CAP_FEN, WishDriveSettings
from campaigns.wishes.state import WishError

__all__ = ["drive_settings", "update_drive_settings"]


def drive_settings(session, campaign: Campaign) -> WishDriveSettings:
    """The drive's wish settings, created with the defaults on first use."""
    found = session.get(WishDriveSettings, campaign.id)
    if found is None:
        found = WishDriveSettings(campaign_id=campaign.id, price_cap_fen=DEFAULT_PRICE_CAP_FEN,
                                  reservation_minutes=15, refund_late_gifts=False)
        session.add(found)
        session.flush()
    return found


def update_drive_settings(session, campaign: Campaign, *, price_cap_fen: int,
                          reservation_minutes: int, refund_late_gifts: bool) -> WishDriveSettings:
    """Change the settings; wishes already made keep their price even above a lower cap."""
    if price_cap_fen <= 0:
        raise WishError(_l("The price cap must be more than zero."), "price_cap")
    if not 1 <= reservation_minutes <= 1440:
        raise WishError(_l("A reservation holds between 1 and 1,440 minutes."), "reservation_minutes")
    found = drive_settings(session, campaign)
    found.price_cap_fen, found.reservation_minutes = price_cap_fen, reservation_minutes
    found.refund_late_gifts = refund_late_gifts
    session.flush()
    return found
