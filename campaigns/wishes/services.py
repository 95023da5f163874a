"""Operations on wishes: create, verify, publish, reserve, settle a gift, buy, deliver, close.

Every function takes the SQLAlchemy session, flushes and never commits. Every status change
goes through :func:`_move`: a conditional UPDATE on the status read (so two clicks cannot both
move a wish) plus a :class:`WishEvent` saying who and when. Refusals raise
:class:`~campaigns.wishes.state.WishError`. Donor news goes up by the signals below
(``donate.wishes`` queues the emails), since ``campaigns`` must not import ``donate``.
"""
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import lazy_gettext as _l

from campaigns.homes.books import books_today, two_line
from campaigns.homes.goods import parse_price
from campaigns.homes.households import street_code
from campaigns.homes.state import HomesError
from campaigns.models import Campaign
from campaigns.wishes import moves, pooled, state
from campaigns.wishes.photos import check_photo
from campaigns.wishes.models import CATEGORIES, Wish, WishEvent, WishReservation
from campaigns.wishes.settings import drive_settings
from core.auth import utcnow
from core.i18n import money
from ledger import chart
from ledger.errors import ClosedPeriod, InsufficientFunds
from ledger.posting import post_entry

log = logging.getLogger(__name__)
signals = Namespace()
#: ``(session, reservation=, wish=, donation=)``: a gift came for a wish funded by someone else.
late_gift_redirected = signals.signal("wish-late-gift-redirected")
#: ``(session, wish=)``: a delivered wish was closed; its donor should hear of it.
wish_closed = signals.signal("wish-closed")

SIMILAR_COUNT = 3


@dataclass
class WishInput:
    beneficiary: str
    age_band: str
    street: str
    category: str
    item: str
    price: str
    story: str = ""
    item_en: str = ""
    story_en: str = ""


# -- creating ------------------------------------------------------------------

def parse_wish_price(text: str, cap_fen: int) -> int:
    """Fen of a price typed in yuan, more than zero, two decimals at most, within the cap."""
    try:
        fen = parse_price(text, "price")
    except HomesError as err:
        raise state.WishError(err.message, "price") from None
    if fen > cap_fen:
        raise state.WishError(_l("This drive's wishes cost at most %(cap)s.", cap=money(cap_fen)), "price")
    return fen


def wish_problems(session, campaign: Campaign, data: WishInput) -> dict:
    """Every problem with ``data`` (field → message); empty when it may be saved."""
    errors = {}
    for name, limit in (("beneficiary", 40), ("age_band", 20), ("item", 120)):
        value = (getattr(data, name) or "").strip()
        if not value:
            errors[name] = _l("This field is required.")
        elif len(value) > limit:
            errors[name] = _l("At most %(max)d characters.", max=limit)
    if street_code(data.street) is None:
        errors["street"] = _l("Unknown street/town.")
    if (data.category or "").strip() not in CATEGORIES:
        errors["category"] = _l("Unknown category.")
    for name, limit in (("story", 2000), ("item_en", 120), ("story_en", 2000)):
        if len(getattr(data, name) or "") > limit:
            errors[name] = _l("At most %(max)d characters.", max=limit)
    try:
        parse_wish_price(data.price, drive_settings(session, campaign).price_cap_fen)
    except state.WishError as err:
        errors["price"] = err.message
    if campaign.kind != "wish":
        errors["campaign"] = _l("Wishes belong to wish drives only.")
    return errors


def create_wish(session, campaign: Campaign, data: WishInput, actor: str) -> Wish:
    """A draft wish; :class:`WishError` with the first problem (all in ``errors``)."""
    errors = wish_problems(session, campaign, data)
    if errors:
        field, message = next(iter(errors.items()))
        err = state.WishError(message, field)
        err.errors = errors
        raise err
    wish = Wish(campaign_id=campaign.id, status=state.DRAFT, beneficiary=data.beneficiary.strip(),
                age_band=data.age_band.strip(), street_code=street_code(data.street),
                category=data.category.strip(), story=(data.story or "").strip(),
                item=data.item.strip(), currency=campaign.currency,
                item_en=(data.item_en or "").strip(), story_en=(data.story_en or "").strip(),
                price_fen=parse_wish_price(data.price, drive_settings(session, campaign).price_cap_fen))
    session.add(wish)
    session.flush()
    _event(session, wish, "create", "", state.DRAFT, actor)
    return wish


# -- moving ---------------------------------------------------------------------------------

_event, _move = moves.record_event, moves.move_wish


def verify_wish(session, wish: Wish, actor: str, when: datetime | None = None, note: str = "") -> Wish:
    """Record that ``actor`` checked the wish at a home visit."""
    return _move(session, wish, "verify", actor, note, verified_by=actor[:254],
                 verified_at=when or utcnow())


def publish_wish(session, wish: Wish, actor: str) -> Wish:
    """Open the wish to donors; pooled (in parts) if its price reaches the drive's threshold."""
    if wish.verified_at is None:
        raise state.WishError(_l("Verify the wish at a home visit before publishing it."))
    settings = drive_settings(session, session.get(Campaign, wish.campaign_id))
    return _move(session, wish, "publish", actor, pooled=pooled.is_pooled_price(settings, wish.price_fen))


def cancel_wish(session, wish: Wish, actor: str, note: str = "") -> Wish:
    if wish.held_fen or wish.funded_fen:
        raise state.WishError(_l("Donors have taken parts of this wish; it can no longer be cancelled."))
    return _move(session, wish, "cancel", actor, note)


# -- reserving ------------------------------------------------------------------------------

def similar_wishes(session, wish: Wish, now: datetime, count: int = SIMILAR_COUNT) -> list[Wish]:
    """Open wishes of the same drive, same category first, then nearest in price."""
    query = (sa.select(Wish).where(Wish.campaign_id == wish.campaign_id, Wish.id != wish.id,
                                   available(now))
             .order_by(sa.case((Wish.category == wish.category, 0), else_=1),
                       sa.func.abs(Wish.price_fen - wish.price_fen), Wish.id).limit(count))
    return list(session.scalars(query))


def available(now: datetime):
    """SQL: open, or reserved with a hold that has run out (freed lazily, on read)."""
    return sa.or_(Wish.status == state.OPEN,
                  sa.and_(Wish.status == state.RESERVED, Wish.reserved_until < now))


def reserve_wish(session, wish: Wish, donor_key: str, now: datetime | None = None,
                 amount_fen: int | None = None) -> WishReservation:
    """Hold ``wish`` (or ``amount_fen`` of a pooled wish) for the drive's reservation minutes.

    One conditional UPDATE decides, on every engine: of any number of donors pressing at
    once, exactly one gets the row; the others get :class:`WishTaken` with similar wishes.
    """
    now = now or utcnow()
    campaign = session.get(Campaign, wish.campaign_id)
    if not campaign.accepts_gifts(now):
        raise state.WishError(_l("This drive is not taking gifts right now."))
    settings = drive_settings(session, campaign)
    until = now + timedelta(minutes=settings.reservation_minutes)
    if wish.pooled:
        found = pooled.reserve_part(session, settings, wish, donor_key, amount_fen, now, until)
    else:
        found = _reserve_whole(session, wish, donor_key, now, until)
    if found is None:
        session.expire(wish)
        raise state.WishTaken(_l("Someone has just taken this wish — here are three like it."),
                              similar_wishes(session, wish, now))
    return found


def _reserve_whole(session, wish: Wish, donor_key: str, now, until) -> WishReservation | None:
    before = wish.status
    result = session.execute(
        sa.update(Wish).where(Wish.id == wish.id, available(now))
        .values(status=state.RESERVED, reserved_until=until)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    # A hold that ran out is over now: its donor, if they still pay, is a late gift.
    session.execute(sa.update(WishReservation)
                    .where(WishReservation.wish_id == wish.id, WishReservation.status == state.HELD)
                    .values(status=state.EXPIRED).execution_options(synchronize_session=False))
    reservation = WishReservation(wish_id=wish.id, donor_key=donor_key[:64], reserved_at=now,
                                  expires_at=until, amount_fen=wish.price_fen)
    session.add(reservation)
    session.expire(wish)
    _event(session, wish, "reserve", before, state.RESERVED, f"donor:{donor_key[:16]}", at=now)
    return reservation


def reservation_for(session, token: str, donor_key: str, now: datetime | None = None,
                    with_gift: bool = False) -> WishReservation:
    """The donor's own live reservation by its token; :class:`WishError` otherwise.

    ``with_gift`` also accepts a live reservation whose gift was already started (the donor
    reloads the payment page or comes back to it before the hold runs out).
    """
    now = now or utcnow()
    found = session.scalar(sa.select(WishReservation).filter_by(token=token or ""))
    if found is None or found.donor_key != donor_key:
        raise state.WishError(_l("This reservation belongs to someone else. Choose a wish on the board."))
    started = found.donation_id is not None and not with_gift
    if with_gift and found.donation_id is not None and found.status not in (state.HELD, state.EXPIRED):
        return found  # settled: its gift was booked, the page to show is the thank-you page
    if found.status != state.HELD or found.expires_at <= now or started:
        raise state.WishError(_l("This reservation has ended. Choose the wish again on the board."))
    return found


def attach_donation(session, reservation: WishReservation, donation_id: int) -> None:
    """Link the pending gift made for ``reservation`` (settled when it is booked)."""
    reservation.donation_id = donation_id
    session.flush()


def release_expired(session, now: datetime | None = None) -> int:
    """Free every wish whose hold has run out; returns how many (``flask wishes expire``)."""
    now = now or utcnow()
    ids = list(session.scalars(sa.select(Wish.id).where(
        Wish.status == state.RESERVED, Wish.reserved_until < now)))
    freed = 0
    for wish_id in ids:
        result = session.execute(
            sa.update(Wish).where(Wish.id == wish_id, Wish.status == state.RESERVED,
                                  Wish.reserved_until < now)
            .values(status=state.OPEN, reserved_until=None)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            session.execute(sa.update(WishReservation).where(
                WishReservation.wish_id == wish_id, WishReservation.status == state.HELD)
                .values(status=state.EXPIRED).execution_options(synchronize_session=False))
            session.add(WishEvent(wish_id=wish_id, action="release", from_status=state.RESERVED,
                                  to_status=state.OPEN, actor="system", at=now))
            freed += 1
    session.flush()
    return freed + pooled.release_run_out_parts(session, now)


# -- settling a gift ------------------------------------------------------------------------

def settle_wish_gift(session, donation) -> WishReservation | None:
    """Called when a gift is booked: fund its wish, or redirect the gift to the drive's pool.

    A no-op (None) for gifts not made for a wish. The wish is funded when it is open, held by
    this gift's reservation, or held by a hold that ran out; otherwise (someone else funded it,
    or another donor's hold is still running) the gift stays in the drive's fund — where it was
    booked — and the donor is told (``late_gift_redirected``); a drive set to refund late gifts
    marks it ``refund_requested`` (``donate.wishes`` then refunds it through Stripe).
    """
    found = sa.select(WishReservation).where(WishReservation.donation_id == donation.id)
    reservation = session.scalar(found)
    if reservation is None:
        return None
    # The wish's row first, as reserve_wish takes it, so the two never wait on each other.
    wish = session.execute(sa.select(Wish).where(Wish.id == reservation.wish_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()
    reservation = session.scalar(found.execution_options(populate_existing=True))
    if reservation.status not in (state.HELD, state.EXPIRED):
        return reservation
    now = utcnow()
    if wish.pooled:  # a part: counted if it still fits (see ``pooled.fund_part``)
        free = pooled.fund_part(session, wish, reservation, donation, now)
        return reservation if free else _redirect(session, wish, reservation, donation, now)
    holder = session.scalar(sa.select(WishReservation.id).where(
        WishReservation.wish_id == wish.id, WishReservation.status == state.HELD))
    free = wish.status == state.OPEN or (wish.status == state.RESERVED and (
        holder in (None, reservation.id) or wish.reserved_until < now))
    if free:
        return _fund(session, wish, reservation, donation, now)
    return _redirect(session, wish, reservation, donation, now)


def _fund(session, wish, reservation, donation, now):
    _move(session, wish, "fund", f"donation:{donation.id}", funded_donation_id=donation.id,
          reserved_until=None, funded_fen=wish.price_fen)
    session.execute(sa.update(WishReservation).where(
        WishReservation.wish_id == wish.id, WishReservation.status == state.HELD,
        WishReservation.id != reservation.id).values(status=state.EXPIRED)
        .execution_options(synchronize_session=False))
    reservation.status, reservation.settled_at = state.RES_FUNDED, now
    session.flush()
    log.info("wish %s funded by donation %s", wish.id, donation.id)
    return reservation


def _redirect(session, wish, reservation, donation, now):
    settings = drive_settings(session, session.get(Campaign, wish.campaign_id))
    reservation.status = state.REFUND_REQUESTED if settings.refund_late_gifts else state.REDIRECTED
    reservation.settled_at = now
    _event(session, wish, "late_gift", wish.status, wish.status, f"donation:{donation.id}",
           note=reservation.status, at=now)
    late_gift_redirected.send(session, reservation=reservation, wish=wish, donation=donation)
    log.warning("late gift %s for wish %s: %s", donation.id, wish.id, reservation.status)
    return reservation


def mark_late_gift_refunded(session, reservation: WishReservation, actor: str) -> WishReservation:
    """A late gift marked for refund has been refunded in full (automatically or by staff)."""
    result = session.execute(
        sa.update(WishReservation).where(WishReservation.id == reservation.id,
                                         WishReservation.status == state.REFUND_REQUESTED)
        .values(status=state.REFUNDED).execution_options(synchronize_session=False))
    session.expire(reservation)
    if result.rowcount != 1:
        raise state.WishError(_l("This gift is not waiting for a refund."))
    wish = session.get(Wish, reservation.wish_id)
    _event(session, wish, "late_refund", wish.status, wish.status, actor,
           note=f"donation:{reservation.donation_id}")
    return reservation


# -- buying, delivering, closing ------------------------------------------------------------

def record_purchase(session, wish: Wish, amount_fen: int, supplier: str, actor: str,
                    photo: bytes | None = None, day: date | None = None) -> Wish:
    """Staff bought the item: program expense from the drive's fund, paid from the bank.

    What was paid may differ from the price; the difference stays visible in the fund.
    """
    photo_type = check_photo(photo)
    if amount_fen <= 0:
        raise state.WishError(_l("The amount must be more than zero."), "amount")
    if not (supplier or "").strip():
        raise state.WishError(_l("This field is required."), "supplier")
    state.next_status(wish.status, "purchase")
    campaign = session.get(Campaign, wish.campaign_id)
    try:
        entry = post_entry(session, two_line(
            key=f"wish-purchase:{wish.id}", day=day or books_today(), fund=campaign.fund_code,
            debit=chart.PROGRAM_EXPENSE, credit=chart.BANK, amount=amount_fen,
            currency=wish.currency, memo=f"Wish #{wish.id}: {wish.item}"[:500], posted_by=actor))
    except InsufficientFunds:
        raise state.WishError(_l("The drive's fund does not hold enough for this purchase."),
                              "amount") from None
    except ClosedPeriod:
        raise state.WishError(_l("The books for %(month)s are closed: choose a date in an open "
                                 "month.", month=(day or books_today()).strftime("%Y-%m"))) from None
    return _move(session, wish, "purchase", actor, supplier.strip()[:120], purchase_fen=amount_fen,
                 supplier=supplier.strip()[:120], purchase_entry_id=entry.id,
                 receipt_photo=photo or None, receipt_photo_type=photo_type)


def record_delivery(session, wish: Wish, note: str, actor: str) -> Wish:
    """The item reached the child; ``note`` is the thank-you the donor will read."""
    return _move(session, wish, "deliver", actor, note, thank_you_note=(note or "").strip()[:500])


def close_wish(session, wish: Wish, actor: str) -> Wish:
    """Close a delivered wish and tell its donor (``wish_closed``)."""
    _move(session, wish, "close", actor)
    wish_closed.send(session, wish=wish)
    return wish


# -- importing and counting -----------------------------------------------------------------

def import_wishes(session, campaign: Campaign, rows: list[dict], actor: str) -> tuple[int, list[dict]]:
    """Create a draft for each good row of :func:`importing.parse_wish_csv`; all-or-nothing.

    Returns ``(created, rows with their errors)``; any bad row creates none.
    """
    for row in rows:
        data = WishInput(**{k: row.get(k, "") for k in WishInput.__dataclass_fields__})
        row["errors"] = row.get("errors") or list(wish_problems(session, campaign, data).values())
    if any(row["errors"] for row in rows):
        return 0, rows
    for row in rows:
        create_wish(session, campaign, WishInput(**{k: row.get(k, "") for k in WishInput.__dataclass_fields__}), actor)
    return len(rows), rows


def wish_counts(session, campaign_id: int, now: datetime | None = None) -> dict:
    """``{open, reserved, funded, delivered}`` for the board and the progress JSON.

    "funded" counts every wish a donor has paid for (funded, bought, delivered or closed);
    "delivered" those that reached the child (delivered or closed); a run-out hold is open.
    """
    now = now or utcnow()
    # A subquery, so that GROUP BY names a column rather than repeating the bound "now".
    buckets = sa.select(sa.case((available(now), state.OPEN), else_=Wish.status).label("b")).where(
        Wish.campaign_id == campaign_id, Wish.status.notin_((state.DRAFT, state.CANCELLED))).subquery()
    rows = dict(session.execute(sa.select(buckets.c.b, sa.func.count()).group_by(buckets.c.b)).all())
    delivered = rows.get(state.DELIVERED, 0) + rows.get(state.CLOSED, 0)
    return {"open": rows.get(state.OPEN, 0), "reserved": rows.get(state.RESERVED, 0),
            "funded": rows.get(state.FUNDED, 0) + rows.get(state.PURCHASED, 0) + delivered,
            "delivered": delivered}
