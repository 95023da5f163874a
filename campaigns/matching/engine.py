"""The matching engine: what a gift earns from the pledges covering its campaign, taken from
their pools in the same transaction as the gift's ledger entry, and given back on refunds.

**Which pledges.** Those of the gift's campaign that are live, inside their window
(``starts_at`` ≤ t < ``ends_at``) and daily opening hours (Asia/Shanghai), whose designations
include the gift's (none listed: all do), whose currency is the gift's, and whose minimum the
gift reaches. The gift counted is ``donation.gift_fen``: without the donor's fee cover.

**How much, and from whom.** Pledges are taken in priority order (lower first, then id). The
gift's *base* is consumed in that order: pledge A matches
``min(floor(base × num / den), A's cap per gift, A's per-donor caps left, A's pool left)``;
the part of the base A's match covered, ``ceil(match × den / num)`` (at most the base), is
used up, and pledge B matches what is left of the base at B's own ratio. So ¥100 against A
(1:1, ¥30 left in its pool) and B (1:1) gives A ¥30 + B ¥70 — never ¥130 of matches on a 1:1
drive. A pool that reaches zero makes its pledge ``exhausted``.

**Atomically.** Each pledge row is locked before its pool is read (``FOR UPDATE`` on
PostgreSQL; on SQLite a no-op UPDATE takes the one writer lock) and ``spent_fen`` is moved
while the lock is held; the database's ``spent_within_pool`` check backs the arithmetic. The
caller has already posted the gift's entry, so the ledger's lock is taken first and pledge
locks follow in one global order (priority, id): transactions queue, they do not deadlock.

**Refunds.** :func:`reverse_matches` reverses a match in proportion to the part of the gift
refunded (exact fen via :meth:`Money.allocate` on the cumulative refunded amount). The
capacity goes back to the pool while the window is open (``capacity_returned``; an exhausted
pledge becomes live again), and lapses after it (``capacity_lapsed``); both are recorded.

Functions here flush and never commit. A donation is used only through its attributes
(``id``, ``campaign``, ``designation_id``, ``gift_fen``, ``amount_fen``, ``refunded_fen``,
``currency``, ``email``, ``donor_fingerprint``, ``succeeded_at``): ``campaigns`` never
imports ``donate``.
"""
import hashlib
import re
from datetime import datetime, time, timezone

import sqlalchemy as sa

from campaigns.matching import booking, state
from campaigns.matching.gaming import hold_reason
from campaigns.matching.models import Match, MatchingPledge, PledgeEvent, pledge_campaigns
from core.auth import utcnow
from core.retry import per_transaction
from ledger.money import Money
from ledger.periods import BOOKS_TZ, books_date, post_in_open_month
from ledger.posting import lock_ledger

#: The statuses whose amount (net of reversals) is in use: held matches count against caps.
IN_USE = (state.MATCHED, state.HELD)


def donor_fingerprint_for(email: str = "", phone: str = "") -> str | None:
    """A stable key for a donor from email and phone, normalised; None when both are empty."""
    email = (email or "").strip().lower()
    phone = re.sub(r"\D", "", phone or "")
    if not email and not phone:
        return None
    return hashlib.sha256(f"wanjia-donor:{email}|{phone}".encode()).hexdigest()


def card_fingerprint_key(card_fingerprint: str) -> str:
    """What a Stripe card fingerprint becomes as a donor fingerprint."""
    return f"card:{card_fingerprint}"[:64]


def donor_key(donation) -> str:
    """The donation's donor fingerprint; a gift with none counts as its own donor."""
    return (donation.donor_fingerprint or donor_fingerprint_for(donation.email or "")
            or f"donation:{donation.id}")


def in_opening_hours(pledge: MatchingPledge, now: datetime) -> bool:
    """Whether ``now`` (naive UTC) falls in the pledge's daily hours, Shanghai time."""
    if pledge.daily_opens is None and pledge.daily_closes is None:
        return True
    local = now.replace(tzinfo=timezone.utc).astimezone(BOOKS_TZ).time()
    opens, closes = pledge.daily_opens or time(0), pledge.daily_closes
    if closes is None:
        return local >= opens
    if opens < closes:
        return opens <= local < closes
    return local >= opens or local < closes  # hours that run past midnight


def in_window(pledge: MatchingPledge, now: datetime) -> bool:
    return pledge.starts_at <= now < pledge.ends_at


def live_pledges_for(session, campaign, now: datetime) -> list[MatchingPledge]:
    """Live pledges covering ``campaign`` whose window contains ``now``, in matching order
    (priority, then id). Daily hours are not applied here (a banner shows them all day).
    Reads only; raises nothing."""
    query = (sa.select(MatchingPledge).join(pledge_campaigns)
             .where(pledge_campaigns.c.campaign_id == campaign.id,
                    MatchingPledge.status == state.LIVE,
                    MatchingPledge.starts_at <= now, MatchingPledge.ends_at > now)
             .order_by(MatchingPledge.priority, MatchingPledge.id))
    return list(session.scalars(query))


def qualifies(pledge: MatchingPledge, designation_id: int, gift_fen: int, currency: str,
              now: datetime, recurring: bool = False) -> bool:
    """Whether a gift of ``gift_fen`` to ``designation_id`` at ``now`` may be matched."""
    if pledge.currency != currency or gift_fen < pledge.min_gift_fen or gift_fen <= 0:
        return False
    if recurring and not pledge.matches_recurring:
        return False
    if pledge.designations and designation_id not in {d.id for d in pledge.designations}:
        return False
    return pledge.status == state.LIVE and in_window(pledge, now) and in_opening_hours(pledge, now)


def split_base(pledge: MatchingPledge, base_fen: int, donor_room: int | None = None):
    """``(match, base consumed)`` for ``base_fen`` of a gift left unmatched (see module doc)."""
    limits = [base_fen * pledge.ratio_num // pledge.ratio_den, pledge.remaining_fen]
    for cap in (pledge.cap_per_gift_fen, donor_room):
        if cap is not None:
            limits.append(cap)
    amount = max(0, min(limits))
    consumed = min(base_fen, -(-amount * pledge.ratio_den // pledge.ratio_num))
    return amount, consumed


def preview_match(session, campaign, designation, gift_fen: int, now: datetime | None = None) -> int:
    """What a gift of ``gift_fen`` would be matched with now, before per-donor caps (the donor
    is not known yet). Reads only: no locks, no writes; raises nothing."""
    now = now or utcnow()
    total, base = 0, gift_fen
    if designation is None or gift_fen <= 0:
        return 0
    for pledge in live_pledges_for(session, campaign, now):
        if base <= 0:
            break
        if qualifies(pledge, designation.id, gift_fen, campaign.currency, now):
            amount, consumed = split_base(pledge, base)
            total, base = total + amount, base - consumed
    return total


def lock_pledge(session, pledge_id: int) -> MatchingPledge:
    """Reload the pledge with its row locked until commit (other gifts on it wait).

    Once per transaction: the next gift of a batch (donate/inbox.py) finds it locked and its
    object current (only this transaction can change the row while it holds the lock)."""
    locked = per_transaction(session, "matching.locked_pledges")
    if pledge_id in locked:
        return locked[pledge_id]
    locked[pledge_id] = _lock_pledge_row(session, pledge_id)
    return locked[pledge_id]


def _lock_pledge_row(session, pledge_id: int) -> MatchingPledge:
    if session.get_bind().dialect.name == "sqlite":
        # No FOR UPDATE there: a write takes the database's one writer lock before the read.
        session.execute(sa.update(MatchingPledge).where(MatchingPledge.id == pledge_id)
                        .values(spent_fen=MatchingPledge.spent_fen)
                        .execution_options(synchronize_session=False))
    query = (sa.select(MatchingPledge).where(MatchingPledge.id == pledge_id).with_for_update()
             .execution_options(populate_existing=True))
    return session.execute(query).scalar_one()


def donor_used(session, pledge_id: int, fingerprint: str, *, day=None, campaign_id=None) -> int:
    """What the donor already has from the pledge (matched and held, net of reversals), on
    ``day`` or on ``campaign_id``."""
    query = sa.select(sa.func.coalesce(sa.func.sum(Match.amount_fen - Match.reversed_fen), 0)).where(
        Match.pledge_id == pledge_id, Match.donor_fingerprint == fingerprint,
        Match.status.in_(IN_USE))
    if day is not None:
        query = query.where(Match.books_day == day)
    if campaign_id is not None:
        query = query.where(Match.campaign_id == campaign_id)
    return int(session.scalar(query))


def donor_room(session, pledge: MatchingPledge, fingerprint: str, day, campaign_id: int):
    """How much more the donor may be matched by ``pledge`` today on this campaign; None
    when the pledge has no per-donor cap."""
    rooms = []
    if pledge.cap_per_donor_day_fen is not None:
        rooms.append(pledge.cap_per_donor_day_fen - donor_used(session, pledge.id, fingerprint, day=day))
    if pledge.cap_per_donor_campaign_fen is not None:
        rooms.append(pledge.cap_per_donor_campaign_fen
                     - donor_used(session, pledge.id, fingerprint, campaign_id=campaign_id))
    return max(0, min(rooms)) if rooms else None


def apply_matches(session, donation, now: datetime | None = None) -> list[Match]:
    """Match a gift that has just succeeded, inside its booking transaction; returns the
    matches made (none, one, or one per pledge that took part). Idempotent: a gift already
    matched gets its matches back. Raises nothing of its own: a database error (e.g. a lock
    timeout) propagates and the caller's transaction rolls back with the gift."""
    existing = list(session.scalars(sa.select(Match).filter_by(donation_id=donation.id)
                                    .order_by(Match.id)))
    if existing:
        return existing
    now = now or donation.succeeded_at or utcnow()
    gift, currency = donation.gift_fen, donation.currency
    # A monthly gift carries its plan (donate.recurring); only some pledges match those.
    terms = (donation.designation_id, gift, currency, now, getattr(donation, "plan_id", None) is not None)
    candidates = [p.id for p in live_pledges_for(session, donation.campaign, now) if qualifies(p, *terms)]
    fingerprint, day, base, made = donor_key(donation), books_date(now), gift, []
    for pledge_id in candidates:
        if base <= 0:
            break
        pledge = lock_pledge(session, pledge_id)
        if not qualifies(pledge, *terms):
            continue  # exhausted or paused while this gift waited for the lock
        room = donor_room(session, pledge, fingerprint, day, donation.campaign_id)
        amount, consumed = split_base(pledge, base, room)
        if amount <= 0:
            continue
        made.append(_make_match(session, pledge, donation, amount, consumed, fingerprint, day, now))
        base -= consumed
    return made


def _make_match(session, pledge, donation, amount, consumed, fingerprint, day, now) -> Match:
    reason = hold_reason(session, pledge, fingerprint, donation.gift_fen, now)
    match = Match(pledge_id=pledge.id, donation_id=donation.id, campaign_id=donation.campaign_id,
                  amount_fen=amount, gift_fen=donation.gift_fen, base_fen=consumed,
                  currency=donation.currency, donor_fingerprint=fingerprint, books_day=day,
                  status=state.HELD if reason else state.MATCHED, hold_reason=reason,
                  created_at=now)
    session.add(match)
    pledge.spent_fen += amount
    session.flush()
    if pledge.spent_fen == pledge.pool_fen:
        move_pledge(session, pledge, "exhaust", f"donation:{donation.id}", at=now)
    if not reason:
        post_match(session, match, pledge, now)
    return match


def post_match(session, match: Match, pledge: MatchingPledge, now: datetime, by: str = "") -> None:
    """Book a match's net amount (pledges receivable / donation income, campaign fund)."""
    campaign = next(c for c in pledge.campaigns if c.id == match.campaign_id)
    draft = booking.match_draft(
        match_id=match.id, day=books_date(now), fund=campaign.fund_code, amount=match.net_fen,
        currency=match.currency, posted_by=by,
        memo=f"Match of gift #{match.donation_id} by {pledge.sponsor.name} (pledge #{pledge.id})")
    match.entry_id = post_in_open_month(session, draft).id
    session.flush()


def move_pledge(session, pledge: MatchingPledge, action: str, actor: str, *, at=None,
                note: str = "", amount_fen: int = 0, match_id: int | None = None) -> PledgeEvent:
    """Apply a state action to a (locked) pledge and record it; :class:`MatchingError` if the
    state machine refuses."""
    before = pledge.status
    pledge.status = state.next_status(before, action)
    return record_event(session, pledge, action, actor, at=at, note=note, amount_fen=amount_fen,
                        match_id=match_id, from_status=before, to_status=pledge.status)


def record_event(session, pledge, action: str, actor: str, *, at=None, **fields) -> PledgeEvent:
    event = PledgeEvent(pledge_id=pledge.id, action=action, actor=actor, at=at or utcnow(), **fields)
    session.add(event)
    session.flush()
    return event


def reversed_share(match_amount: int, gross: int, gone: int, currency: str) -> int:
    """The part of a match reversed once ``gone`` of a ``gross`` gift is refunded or lost."""
    if gone >= gross:
        return match_amount
    if gone <= 0:
        return 0
    return Money(match_amount, currency).allocate([gone, gross - gone])[0].amount


def reverse_matches(session, donation, amount_fen: int, now: datetime | None = None,
                    actor: str = "") -> list[Match]:
    """Reverse the matches of a gift of which ``amount_fen`` more is refunded or lost.

    Call it *before* ``donation.refunded_fen`` moves (it reads what was gone before). Each
    match is reversed pro rata on the cumulative amount gone; a booked match gets a reversal
    entry, a held one just shrinks. Returns the matches changed. Raises nothing of its own.
    """
    now = now or utcnow()
    actor = actor or f"donation:{donation.id}"
    matches = list(session.scalars(sa.select(Match).where(
        Match.donation_id == donation.id, Match.status.in_(IN_USE)).order_by(Match.id)))
    if matches:
        lock_ledger(session)  # ledger first, then pledges: the order every booking takes
    changed = []
    for match in matches:
        pledge = lock_pledge(session, match.pledge_id)
        target = reversed_share(match.amount_fen, donation.amount_fen,
                                donation.refunded_fen + amount_fen, match.currency)
        delta = min(target - match.reversed_fen, match.net_fen)
        if delta > 0:
            _reverse_one(session, match, pledge, delta, now, actor)
            changed.append(match)
    return changed


def _reverse_one(session, match: Match, pledge, delta: int, now: datetime, actor: str) -> None:
    match.reversed_fen += delta
    if match.status == state.MATCHED:
        campaign = next(c for c in pledge.campaigns if c.id == match.campaign_id)
        post_in_open_month(session, booking.match_reversal_draft(
            match_id=match.id, reversed_total=match.reversed_fen, day=books_date(now),
            fund=campaign.fund_code, amount=delta, currency=match.currency,
            memo=f"Reversal of match #{match.id} (gift #{match.donation_id} refunded)"))
    if match.reversed_fen == match.amount_fen:
        match.status = state.REVERSED
    give_back_capacity(session, pledge, match, delta, now, actor)


def give_back_capacity(session, pledge: MatchingPledge, match: Match, amount: int,
                       now: datetime, actor: str) -> PledgeEvent:
    """Return ``amount`` to the pool while the window is open (an exhausted pledge goes live
    again); after the window, or once ended, the capacity lapses. Both are recorded."""
    if now < pledge.ends_at and pledge.status != state.ENDED:
        pledge.spent_fen -= amount
        event = record_event(session, pledge, "capacity_returned", actor, at=now,
                             amount_fen=amount, match_id=match.id)
        if pledge.status == state.EXHAUSTED:
            move_pledge(session, pledge, "replenish", actor, at=now, match_id=match.id)
        return event
    return record_event(session, pledge, "capacity_lapsed", actor, at=now, amount_fen=amount,
                        match_id=match.id)
