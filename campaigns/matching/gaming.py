"""Gaming defence (刷单): which matches to hold for review instead of paying them.

Two rules, with thresholds from :mod:`campaigns.matching.settings`:

* **burst** — the donor fingerprint has had ``burst_gifts - 1`` matches from this pledge in
  the last ``minutes``: this one (the Nth) is held;
* **near the minimum** — ``near_min_gifts - 1`` gifts matched by this pledge in the last
  ``minutes`` were at most ``near_min_pct``% above its qualifying minimum, and this one is
  too: held. (A pledge with no minimum has nothing to game here.)

A held match still takes its share of the pool (so the pool cannot be over-promised while it
waits) but posts nothing until staff release it (:mod:`campaigns.matching.review`).
"""
from datetime import datetime, timedelta

import sqlalchemy as sa

from campaigns.matching import state
from campaigns.matching.models import Match, MatchingPledge
from campaigns.matching.settings import gaming_rules
from core.auth import utcnow

BURST = "burst: {count} gifts from one donor within {minutes} min"
NEAR_MIN = "near minimum: {count} gifts within {pct}% above the minimum within {minutes} min"


def _recent(pledge_id: int, since: datetime):
    return sa.select(sa.func.count()).select_from(Match).where(
        Match.pledge_id == pledge_id, Match.created_at > since)


def near_minimum(pledge: MatchingPledge, gift_fen: int, pct: int) -> int | None:
    """The highest gift that counts as "just above the minimum", or None (no minimum)."""
    if pledge.min_gift_fen <= 0 or pct <= 0:
        return None
    return pledge.min_gift_fen * (100 + pct) // 100


def hold_reason(session, pledge: MatchingPledge, fingerprint: str, gift_fen: int,
                now: datetime) -> str:
    """Why a new match of ``gift_fen`` from ``fingerprint`` should be held; "" if it should not.

    Counts the pledge's matches made before this one (the caller holds the pledge's lock)."""
    rules = gaming_rules()
    since = now - timedelta(minutes=rules.minutes)
    if rules.burst_gifts > 0:
        count = session.scalar(_recent(pledge.id, since).where(Match.donor_fingerprint == fingerprint)) + 1
        if count >= rules.burst_gifts:
            return BURST.format(count=count, minutes=rules.minutes)
    ceiling = near_minimum(pledge, gift_fen, rules.near_min_pct)
    if rules.near_min_gifts > 0 and ceiling is not None and gift_fen <= ceiling:
        count = session.scalar(_recent(pledge.id, since).where(Match.gift_fen <= ceiling)) + 1
        if count >= rules.near_min_gifts:
            return NEAR_MIN.format(count=count, pct=rules.near_min_pct, minutes=rules.minutes)
    return ""


def held_matches(session, older_than_days: int | None = None,
                 now: datetime | None = None) -> list[Match]:
    """Matches waiting for review, oldest first; with ``older_than_days``, only those held
    longer than that (the month-end close lists them). Raises nothing."""
    query = sa.select(Match).where(Match.status == state.HELD).order_by(Match.created_at, Match.id)
    if older_than_days is not None:
        query = query.where(Match.created_at < (now or utcnow()) - timedelta(days=older_than_days))
    return list(session.scalars(query))
