"""Distribution lists and deliveries: at most one gift pack per household per drive (the
database refuses a second), and a confirmed delivery moves one pack from inventory to
program expense in the recipe's goods fund, at the recipe's pack cost."""
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns.homes import books
from campaigns.homes.models import Distribution, Household, PackRecipe
from campaigns.homes.state import HomesError
from ledger.errors import InsufficientFunds
from ledger.money import format_plain


def assign_packs(session, campaign_id: int, recipe: PackRecipe, households) -> int:
    """Put ``households`` on the drive's list; those already on it are left out. Returns how
    many were added."""
    listed = set(session.scalars(sa.select(Distribution.household_id)
                                 .where(Distribution.campaign_id == campaign_id)))
    added = 0
    for household in households:
        if household.id not in listed:
            session.add(Distribution(campaign_id=campaign_id, household_id=household.id,
                                     recipe_id=recipe.id))
            listed.add(household.id)
            added += 1
    session.flush()
    return added


def assign_pack(session, campaign_id: int, household: Household, recipe: PackRecipe) -> Distribution:
    """One household on the list; refused if it already has a pack in this drive."""
    if session.scalar(sa.select(Distribution.id).filter_by(campaign_id=campaign_id,
                                                           household_id=household.id)):
        raise HomesError(_l("This household already has a gift pack in this drive."))
    dist = Distribution(campaign_id=campaign_id, household_id=household.id, recipe_id=recipe.id)
    session.add(dist)
    session.flush()
    return dist


def confirm_delivery(session, dist: Distribution, day: date, by: str, note: str = "") -> Distribution:
    """Record the delivery and post it; a pack is delivered once."""
    if dist.delivered_on is not None:
        raise HomesError(_l("This pack was already delivered on %(day)s.", day=dist.delivered_on.isoformat()))
    if not (by or "").strip():
        raise HomesError(_l("Say who delivered the pack."), "delivered_by")
    try:
        entry = books.post_dated(session, books.delivery_draft(dist, day))
    except InsufficientFunds as err:
        raise HomesError(_l("The goods fund %(fund)s does not hold enough for this pack: it is "
                            "%(short)s yuan short.", fund=err.fund_code,
                            short=format_plain(err.shortfall, err.currency))) from None
    dist.delivered_on, dist.delivered_by = day, by.strip()[:80]
    dist.note, dist.entry_id = (note or "").strip()[:300], entry.id
    session.flush()
    return dist


def count_homes_helped(session, campaign_id: int) -> int:
    """Distinct households with a confirmed delivery in this drive."""
    return int(session.scalar(
        sa.select(sa.func.count(sa.distinct(Distribution.household_id)))
        .where(Distribution.campaign_id == campaign_id, Distribution.delivered_on.is_not(None))) or 0)


def distribution_list(session, campaign_id: int, limit: int = 500) -> list[Distribution]:
    return list(session.scalars(sa.select(Distribution).where(Distribution.campaign_id == campaign_id)
                                .order_by(Distribution.id).limit(limit)))
