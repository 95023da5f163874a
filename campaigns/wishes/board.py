"""Reading wishes for the public board and the donor's pages (no writes: a hold that ran out
simply reads as open, see ``services.available``)."""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns.wishes import state
from campaigns.wishes.models import CATEGORIES, Wish, WishReservation
from campaigns.wishes.services import available
from core.auth import utcnow

CATEGORY_LABELS = {"study": _l("Study"), "daily": _l("Daily life"), "health": _l("Health"),
                   "culture": _l("Culture")}
#: Price bands of the board's filter: name → (from, below) in fen; None is open-ended.
PRICE_BANDS = {"lt100": (None, 10_000), "100-300": (10_000, 30_000), "gt300": (30_000, None)}
BAND_LABELS = {"lt100": _l("Under ¥100"), "100-300": _l("¥100–¥300"), "gt300": _l("¥300 and more")}
SORTS = ("newest", "price", "price_desc")
#: The statuses the public sees (drafts and cancelled wishes never).
PUBLIC_STATUSES = (state.OPEN, state.RESERVED, state.FUNDED, state.PURCHASED, state.DELIVERED,
                   state.CLOSED)


@dataclass
class BoardFilter:
    category: str = ""
    street: str = ""
    band: str = ""
    sort: str = "newest"
    only_open: bool = False

    @classmethod
    def from_args(cls, args) -> "BoardFilter":
        """Unknown values are ignored rather than refused: a board link must never break."""
        pick = lambda name, allowed: args.get(name) if args.get(name) in allowed else ""  # noqa: E731
        return cls(category=pick("category", CATEGORIES), street=(args.get("street") or "")[:12],
                   band=pick("band", PRICE_BANDS), sort=pick("sort", SORTS) or "newest",
                   only_open=args.get("open") == "1")


def board_wishes(session, campaign_id: int, flt: BoardFilter, now: datetime | None = None,
                 limit: int = 200) -> list[Wish]:
    now = now or utcnow()
    query = sa.select(Wish).where(Wish.campaign_id == campaign_id, Wish.status.in_(PUBLIC_STATUSES))
    if flt.category:
        query = query.where(Wish.category == flt.category)
    if flt.street:
        query = query.where(Wish.street_code == flt.street)
    if flt.band:
        low, high = PRICE_BANDS[flt.band]
        query = query.where(Wish.price_fen >= (low or 0))
        if high is not None:
            query = query.where(Wish.price_fen < high)
    if flt.only_open:
        query = query.where(available(now))
    order = {"newest": (Wish.id.desc(),), "price": (Wish.price_fen, Wish.id),
             "price_desc": (Wish.price_fen.desc(), Wish.id)}[flt.sort]
    return list(session.scalars(query.order_by(*order).limit(limit)))


def public_status(wish: Wish, now: datetime | None = None) -> str:
    """The status the board shows: a hold that ran out is open again."""
    if wish.status == state.RESERVED and wish.reserved_until < (now or utcnow()):
        return state.OPEN
    return wish.status


def reservation_of_donation(session, donation_id: int) -> WishReservation | None:
    return session.scalar(sa.select(WishReservation).filter_by(donation_id=donation_id))
