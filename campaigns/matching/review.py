"""Staff review of held matches: release (book it) or reject (give its capacity back)."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns.matching import state
from campaigns.matching.engine import give_back_capacity, lock_pledge, post_match, record_event
from campaigns.matching.models import Match
from core.auth import utcnow
from ledger.posting import lock_ledger

NOT_HELD = _l("This match is not waiting for review any more.")


def _lock_held(session, match: Match) -> Match:
    found = session.execute(sa.select(Match).where(Match.id == match.id).with_for_update()
                            .execution_options(populate_existing=True)).scalar_one()
    if found.status != state.HELD:
        raise state.MatchingError(NOT_HELD)
    return found


def release_match(session, match: Match, by: str, now: datetime | None = None) -> Match:
    """held → matched: post its entry (net of any refund meanwhile).

    Raises :class:`~campaigns.matching.state.MatchingError` if the match is not held."""
    now = now or utcnow()
    lock_ledger(session)  # ledger, then pledge, then match: the order a booking takes
    pledge = lock_pledge(session, match.pledge_id)
    match = _lock_held(session, match)
    match.status, match.reviewed_by, match.reviewed_at = state.MATCHED, by, now
    post_match(session, match, pledge, now, by)
    record_event(session, pledge, "release", by, at=now, amount_fen=match.net_fen,
                 match_id=match.id)
    return match


def reject_match(session, match: Match, by: str, now: datetime | None = None) -> Match:
    """held → rejected: nothing is booked, and the capacity returns to the pool (or lapses if
    the window has closed). Raises :class:`~campaigns.matching.state.MatchingError` if the
    match is not held."""
    now = now or utcnow()
    pledge = lock_pledge(session, match.pledge_id)
    match = _lock_held(session, match)
    match.status, match.reviewed_by, match.reviewed_at = state.REJECTED, by, now
    record_event(session, pledge, "reject", by, at=now, amount_fen=match.net_fen, match_id=match.id)
    give_back_capacity(session, pledge, match, match.net_fen, now, by)
    return match
