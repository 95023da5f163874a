"""The one place that says how a matching pledge's status, and a match's, may change.

::

    draft ──go_live──▶ live ──pause──▶ paused
                        ▲ ◀──resume──── │
       replenish ┌──────┤               │
                 │    exhaust           end
             exhausted ─┴──end──▶ ended ◀┘   (live, paused, exhausted and draft may end)

A pledge is *exhausted* when its pool is fully matched; a refund that returns capacity inside
the window brings it back to *live* (``replenish``). Terms (ratio, caps, pool) are fixed once a
pledge has gone live: matches already made keep the terms they were made under.

A match is ``matched`` (booked), ``held`` (suspected gaming; booked to nothing until staff
release it), ``rejected`` (a held match refused; its capacity returns to the pool) or
``reversed`` (the gift was refunded or lost in a dispute).
"""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

DRAFT, LIVE, PAUSED, EXHAUSTED, ENDED = "draft", "live", "paused", "exhausted", "ended"
STATUSES = (DRAFT, LIVE, PAUSED, EXHAUSTED, ENDED)

#: action → (the statuses it may start from, the status it leads to).
TRANSITIONS = {
    "go_live": ((DRAFT,), LIVE),
    "pause": ((LIVE,), PAUSED),
    "resume": ((PAUSED,), LIVE),
    "exhaust": ((LIVE,), EXHAUSTED),
    "replenish": ((EXHAUSTED,), LIVE),
    "end": ((DRAFT, LIVE, PAUSED, EXHAUSTED), ENDED),
}

MATCHED, HELD, REJECTED, REVERSED = "matched", "held", "rejected", "reversed"
MATCH_STATUSES = (MATCHED, HELD, REJECTED, REVERSED)

STATUS_LABELS = {
    DRAFT: _l("Draft"), LIVE: lazy_pgettext("pledge", "Live"), PAUSED: _l("Paused"),
    EXHAUSTED: _l("Pool used up"), ENDED: _l("Ended"),
}
ACTION_LABELS = {
    "go_live": _l("Go live"), "pause": _l("Pause"), "resume": _l("Resume"),
    "exhaust": _l("Mark used up"), "replenish": _l("Reopen"), "end": _l("End"),
}
MATCH_LABELS = {
    MATCHED: _l("Matched"), HELD: _l("Held for review"), REJECTED: _l("Rejected"),
    REVERSED: _l("Reversed"),
}


class MatchingError(ValueError):
    """A refusal; ``message`` is safe to show, ``field`` names the form field if any, and
    ``errors`` maps every field found wrong to its message (the first is ``message``)."""

    def __init__(self, message, field: str | None = None, errors: dict | None = None):
        super().__init__(str(message))
        self.message, self.field = message, field
        self.errors = errors if errors is not None else ({field: message} if field else {})


def can(status: str, action: str) -> bool:
    return status in TRANSITIONS[action][0]


def next_status(status: str, action: str) -> str:
    """The status ``action`` leads to from ``status``; :class:`MatchingError` if not allowed."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise MatchingError(_l("“%(action)s” is not possible for a pledge that is %(status)s.",
                               action=ACTION_LABELS[action],
                               status=STATUS_LABELS.get(status, status)))
    return target


def allowed_actions(status: str) -> list[str]:
    return [a for a, (sources, _t) in TRANSITIONS.items() if status in sources]
