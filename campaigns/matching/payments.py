"""What a sponsor owes and pays: sponsor payments (bank), the sponsor statement, the forecast.

*Owed* is what the booked matches add up to, net of reversals, minus what the sponsor has paid.
Before going live a pledge with escrow may be paid up to its escrow share in advance, so the
ceiling for a payment is ``max(matched net, escrow share) − received``.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns.matching import booking, state
from campaigns.matching.engine import lock_pledge, record_event
from campaigns.matching.models import Match, MatchingPledge, PledgeEvent
from core.i18n import money
from ledger import chart
from ledger.models import Account, Fund, JournalEntry, Posting
from ledger.posting import lock_ledger, post_entry


def _net():
    return sa.func.coalesce(sa.func.sum(Match.amount_fen - Match.reversed_fen), 0)


def matched_net_by_campaign(session, pledge_id: int, statuses=(state.MATCHED,)) -> dict[int, int]:
    """Net matched amount per campaign id (booked matches by default)."""
    rows = session.execute(sa.select(Match.campaign_id, _net()).where(
        Match.pledge_id == pledge_id, Match.status.in_(statuses)).group_by(Match.campaign_id))
    return {c: int(n) for c, n in rows}


def paid_by_fund(session, pledge_id: int) -> dict[str, int]:
    """What the sponsor's payments have settled so far, per fund code (from the ledger)."""
    prefix = booking.payment_key(pledge_id, "")
    rows = session.execute(
        sa.select(Fund.code, sa.func.sum(-Posting.amount))
        .join(Posting, Posting.fund_id == Fund.id)
        .join(Account, Account.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Account.code == chart.PLEDGES_RECEIVABLE,
               JournalEntry.idempotency_key.startswith(prefix, autoescape=True))
        .group_by(Fund.code))
    return {code: int(total) for code, total in rows}


def amount_owed(session, pledge: MatchingPledge) -> int:
    """The most the sponsor may pay now (see the module's docstring)."""
    matched = sum(matched_net_by_campaign(session, pledge.id).values())
    return max(matched, pledge.escrow_required_fen) - pledge.received_fen


def _shares(session, pledge: MatchingPledge, amount: int) -> dict[str, int]:
    """Split a payment over the pledge's campaign funds, settling each one's outstanding
    receivable in campaign order; an advance (escrow) goes to the first campaign."""
    matched, paid = matched_net_by_campaign(session, pledge.id), paid_by_fund(session, pledge.id)
    campaigns = sorted(pledge.campaigns, key=lambda c: c.id)
    shares, left = {}, amount
    for campaign in campaigns:
        due = matched.get(campaign.id, 0) - paid.get(campaign.fund_code, 0)
        take = min(left, max(0, due))
        if take:
            shares[campaign.fund_code], left = take, left - take
    if left:
        first = campaigns[0].fund_code
        shares[first] = shares.get(first, 0) + left
    return shares


def _existing_payment(session, pledge_id: int, reference: str) -> PledgeEvent | None:
    return session.scalar(sa.select(PledgeEvent).filter_by(
        pledge_id=pledge_id, action="payment", reference=reference))


def record_sponsor_payment(session, pledge: MatchingPledge, amount_fen: int, day: date,
                           reference: str, by: str) -> PledgeEvent:
    """Book a sponsor's bank payment: bank debit, pledges receivable credit, campaign fund(s).

    Idempotent on ``reference``: the same reference again returns the first payment and
    writes nothing. Raises MatchingError: no reference (``reference``), an amount at or below
    zero or above what is owed (``amount``, naming what is owed), a campaign without a fund.
    """
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        raise state.MatchingError(_l("Give the bank reference of the payment (at most 100 "
                                     "characters)."), "reference")
    done = _existing_payment(session, pledge.id, reference)
    if done is not None:
        return done
    if amount_fen <= 0:
        raise state.MatchingError(_l("The payment must be more than zero."), "amount")
    lock_ledger(session)
    pledge = lock_pledge(session, pledge.id)
    owed = amount_owed(session, pledge)
    if amount_fen > owed:
        raise state.MatchingError(_l("This payment is larger than what the sponsor owes (%(owed)s).",
                                     owed=money(max(owed, 0), pledge.currency)), "amount")
    if any(c.fund_code is None for c in pledge.campaigns):
        raise state.MatchingError(_l("The pledge's campaign has no fund yet: publish it first."))
    entry = post_entry(session, booking.payment_draft(
        pledge_id=pledge.id, reference=reference, day=day, currency=pledge.currency,
        shares=_shares(session, pledge, amount_fen), posted_by=by,
        memo=f"Payment {reference} by {pledge.sponsor.name} for pledge #{pledge.id}"))
    pledge.received_fen += amount_fen
    return record_event(session, pledge, "payment", by, amount_fen=amount_fen, entry_id=entry.id,
                        reference=reference)


@dataclass
class PledgeStatement:
    """A sponsor's statement for one pledge: what was matched, paid and is outstanding."""

    pledge: MatchingPledge
    gifts_matched: int
    matched_fen: int
    held_fen: int
    paid_fen: int
    #: Matched minus paid; negative when the sponsor paid ahead (escrow).
    outstanding_fen: int
    matches: list[Match] = field(default_factory=list)
    payments: list[PledgeEvent] = field(default_factory=list)


def pledge_statement(session, pledge: MatchingPledge) -> PledgeStatement:
    """The pledge's statement (booked matches net of reversals; held ones apart). Raises nothing."""
    matches = list(session.scalars(sa.select(Match).where(Match.pledge_id == pledge.id)
                                   .order_by(Match.created_at, Match.id)))
    booked = [m for m in matches if m.status == state.MATCHED and m.net_fen > 0]
    matched = sum(m.net_fen for m in booked)
    payments = list(session.scalars(sa.select(PledgeEvent).filter_by(
        pledge_id=pledge.id, action="payment").order_by(PledgeEvent.at, PledgeEvent.id)))
    return PledgeStatement(
        pledge=pledge, gifts_matched=len({m.donation_id for m in booked}), matched_fen=matched,
        held_fen=sum(m.net_fen for m in matches if m.status == state.HELD),
        paid_fen=pledge.received_fen, outstanding_fen=matched - pledge.received_fen,
        matches=matches, payments=payments)


@dataclass
class Forecast:
    #: Matched (held included) in the hour up to ``now``.
    last_hour_fen: int
    remaining_fen: int
    #: When the pool runs out at that rate; None when nothing was matched in the last hour.
    runs_out_at: datetime | None
    #: Whether that comes before the pledge's window ends.
    before_end: bool


def matching_forecast(session, pledge: MatchingPledge, now: datetime) -> Forecast:
    """The matching rate over the last hour and when the pool runs out at it. Raises nothing."""
    last_hour = int(session.scalar(sa.select(_net()).where(
        Match.pledge_id == pledge.id, Match.status.in_((state.MATCHED, state.HELD)),
        Match.created_at > now - timedelta(hours=1), Match.created_at <= now)))
    remaining = pledge.remaining_fen
    if last_hour <= 0:
        return Forecast(0, remaining, None, False)
    runs_out = now + timedelta(seconds=remaining * 3600 // last_hour)
    return Forecast(last_hour, remaining, runs_out, runs_out < pledge.ends_at)
