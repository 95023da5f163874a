"""Pooled wishes (拼好愿): dear wishes funded by several donors in parts.

A wish priced at or above its drive's ``pooled_threshold_fen`` is pooled when published. A
donor reserves a part — at least the drive's minimum part (or all that remains, if less), at
most what remains — held for the drive's reservation minutes like a whole wish, and pays it
as an ordinary gift. The wish stays "open" while parts are taken and paid, and becomes
"funded" when the funded parts add up to its price exactly.

Races are decided by one conditional UPDATE of the wish's ``held_fen``/``funded_fen`` on every
engine, and a CHECK keeps ``held_fen + funded_fen <= price_fen`` in the database. Holds that
ran out are freed lazily before each reservation, and by ``flask --app wsgi wishes expire``.
Row locks are always taken wish first, then its reservations, as ``settle_wish_gift`` does.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns.wishes import state
from campaigns.wishes.models import Wish, WishReservation
from campaigns.wishes.moves import move_wish, record_event
from core.i18n import money


@dataclass(frozen=True)
class Parts:
    """What the board shows of a pooled wish: "¥x of ¥y funded by n donors"."""

    funded_fen: int
    donors: int
    #: What a donor may still reserve now (holds that ran out count as free).
    open_fen: int


def is_pooled_price(settings, price_fen: int) -> bool:
    threshold = settings.pooled_threshold_fen
    return threshold is not None and price_fen >= threshold


def _lock(session, wish_id: int) -> Wish:
    stmt = (sa.select(Wish).where(Wish.id == wish_id).with_for_update()
            .execution_options(populate_existing=True))
    return session.execute(stmt).scalar_one()


def check_part(settings, wish: Wish, amount_fen: int | None) -> None:
    """Refuse a part below the minimum (unless less remains) or above what remains."""
    remaining = wish.price_fen - wish.held_fen - wish.funded_fen
    low = min(settings.pooled_min_part_fen, remaining)
    if amount_fen is None or amount_fen < low:
        raise state.WishError(_l("A part is at least %(amount)s.", amount=money(low, wish.currency)), "amount")
    if amount_fen > remaining:
        raise state.WishError(_l("Only %(amount)s of this wish remains.",
                                 amount=money(remaining, wish.currency)), "amount")


def reserve_part(session, settings, wish: Wish, donor_key: str, amount_fen: int | None,
                 now: datetime, until: datetime) -> WishReservation | None:
    """Hold ``amount_fen`` of pooled ``wish`` for ``donor_key``; None when nothing remains.

    :class:`WishError` for a part below the minimum or above what remains.
    """
    wish = _lock(session, wish.id)
    free_run_out_parts(session, wish.id, now)
    session.refresh(wish)
    if wish.status != state.OPEN or wish.held_fen + wish.funded_fen >= wish.price_fen:
        return None
    check_part(settings, wish, amount_fen)
    result = session.execute(
        sa.update(Wish).where(Wish.id == wish.id, Wish.status == state.OPEN,
                              Wish.held_fen + Wish.funded_fen + amount_fen <= Wish.price_fen)
        .values(held_fen=Wish.held_fen + amount_fen).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    reservation = WishReservation(wish_id=wish.id, donor_key=donor_key[:64], reserved_at=now,
                                  expires_at=until, amount_fen=amount_fen, pooled=True)
    session.add(reservation)
    session.expire(wish)
    record_event(session, wish, "reserve_part", state.OPEN, state.OPEN, f"donor:{donor_key[:16]}",
                 note=f"part:{amount_fen}", at=now)
    return reservation


def free_run_out_parts(session, wish_id: int, now: datetime) -> int:
    """Give back the parts of ``wish_id`` whose hold ran out; how many were freed.

    Each part is freed by a conditional UPDATE of its own row, so two callers never give the
    same part back twice.
    """
    rows = session.execute(sa.select(WishReservation.id, WishReservation.amount_fen).where(
        WishReservation.wish_id == wish_id, WishReservation.pooled.is_(True),
        WishReservation.status == state.HELD, WishReservation.expires_at < now)).all()
    freed = 0
    for reservation_id, amount in rows:
        done = session.execute(
            sa.update(WishReservation).where(WishReservation.id == reservation_id,
                                             WishReservation.status == state.HELD)
            .values(status=state.EXPIRED).execution_options(synchronize_session=False)).rowcount
        if done:
            session.execute(sa.update(Wish).where(Wish.id == wish_id)
                            .values(held_fen=Wish.held_fen - amount)
                            .execution_options(synchronize_session=False))
            freed += 1
    session.flush()
    return freed


def release_run_out_parts(session, now: datetime) -> int:
    """Free every pooled part whose hold ran out (``wishes expire``); how many."""
    wish_ids = session.scalars(sa.select(WishReservation.wish_id).distinct().where(
        WishReservation.pooled.is_(True), WishReservation.status == state.HELD,
        WishReservation.expires_at < now)).all()
    freed = 0
    for wish_id in wish_ids:
        _lock(session, wish_id)
        freed += free_run_out_parts(session, wish_id, now)
    return freed


def fund_part(session, wish: Wish, reservation: WishReservation, donation, now: datetime) -> bool:
    """Count a booked gift towards its part (``wish`` locked by the caller); False when there
    is no room left for it (its hold ran out and others took the rest): a late gift."""
    amount = reservation.amount_fen
    if reservation.status == state.HELD:
        where, values = (), {"held_fen": Wish.held_fen - amount, "funded_fen": Wish.funded_fen + amount}
    else:  # its hold was freed: it counts only if the room is still there
        where = (Wish.held_fen + Wish.funded_fen + amount <= Wish.price_fen,)
        values = {"funded_fen": Wish.funded_fen + amount}
    result = session.execute(sa.update(Wish).where(Wish.id == wish.id, Wish.status == state.OPEN, *where)
                             .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    reservation.status, reservation.settled_at = state.RES_FUNDED, now
    session.flush()
    session.refresh(wish)
    actor = f"donation:{donation.id}"
    record_event(session, wish, "fund_part", state.OPEN, state.OPEN, actor, note=f"part:{amount}", at=now)
    if wish.funded_fen == wish.price_fen:
        move_wish(session, wish, "fund", actor)
    return True


def parts_of(session, wishes, now: datetime) -> dict[int, Parts]:
    """``{wish id: Parts}`` for the pooled ones among ``wishes``."""
    pooled = {w.id: w for w in wishes if w.pooled}
    if not pooled:
        return {}
    live = sa.or_(WishReservation.status == state.RES_FUNDED,
                  sa.and_(WishReservation.status == state.HELD, WishReservation.expires_at >= now))
    rows = session.execute(
        sa.select(WishReservation.wish_id, WishReservation.status, sa.func.count(),
                  sa.func.sum(WishReservation.amount_fen))
        .where(WishReservation.wish_id.in_(pooled), live)
        .group_by(WishReservation.wish_id, WishReservation.status)).all()
    sums = {(wish_id, status): (count, int(total)) for wish_id, status, count, total in rows}
    result = {}
    for wish_id, wish in pooled.items():
        donors, funded = sums.get((wish_id, state.RES_FUNDED), (0, 0))
        held = sums.get((wish_id, state.HELD), (0, 0))[1]
        open_fen = wish.price_fen - funded - held if wish.status == state.OPEN else 0
        result[wish_id] = Parts(funded_fen=funded, donors=donors, open_fen=max(open_fen, 0))
    return result
