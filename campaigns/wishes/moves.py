"""Moving a wish: the conditional UPDATE on the status read (two clicks cannot both move it)
and the :class:`WishEvent` that says who and when. Shared by ``services`` and ``pooled``."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns.wishes import state
from campaigns.wishes.models import Wish, WishEvent
from core.auth import utcnow


def record_event(session, wish, action, before, after, actor, note="", at: datetime | None = None) -> None:
    session.add(WishEvent(wish_id=wish.id, action=action, from_status=before, to_status=after,
                          actor=actor[:254], note=(note or "")[:500], at=at or utcnow()))
    session.flush()


def move_wish(session, wish: Wish, action: str, actor: str, note: str = "", **values) -> Wish:
    """Apply ``action`` if the wish is still in the status read; record who and when."""
    before = wish.status
    after = state.next_status(before, action)
    session.flush()
    result = session.execute(
        sa.update(Wish).where(Wish.id == wish.id, Wish.status == before)
        .values(status=after, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.expire(wish)
        raise state.WishError(_l("Someone else changed this wish meanwhile; reload and try again."))
    session.expire(wish)
    record_event(session, wish, action, before, after, actor, note)
    return wish
