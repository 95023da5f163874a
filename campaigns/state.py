"""The one place that says how a campaign's status may change.

::

    draft ──publish──▶ live ──pause──▶ paused
                        ▲ ◀──resume──── │
                        └──close──▶ closed ◀──close──┘

A draft is never public; ``live`` takes gifts; ``paused`` shows its page but takes none;
``closed`` is final. Nothing goes back to ``draft``: once a campaign has been public, its
slug, fund and currency are fixed.
"""
from flask_babel import lazy_gettext as _l

DRAFT, LIVE, PAUSED, CLOSED = "draft", "live", "paused", "closed"

#: action → (the statuses it may start from, the status it leads to).
TRANSITIONS = {
    "publish": ((DRAFT,), LIVE),
    "pause": ((LIVE,), PAUSED),
    "resume": ((PAUSED,), LIVE),
    "close": ((LIVE, PAUSED), CLOSED),
}

#: What staff see on the button for each action.
ACTION_LABELS = {
    "publish": _l("Publish"),
    "pause": _l("Pause"),
    "resume": _l("Resume"),
    "close": _l("Close"),
}

#: Status names for people.
STATUS_LABELS = {
    DRAFT: _l("Draft"),
    LIVE: _l("Live"),
    PAUSED: _l("Paused"),
    CLOSED: _l("Closed"),
}

#: The statuses whose public page may be seen (a draft's only through the staff preview).
PUBLIC_STATUSES = (LIVE, PAUSED, CLOSED)


class TransitionError(ValueError):
    """A status change the state machine does not allow; ``message`` is safe to show."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def allowed_actions(status: str) -> list[str]:
    """The actions that may be taken from ``status``, in a stable order."""
    return [action for action, (sources, _target) in TRANSITIONS.items() if status in sources]


def next_status(status: str, action: str) -> str:
    """The status ``action`` leads to from ``status``; :class:`TransitionError` if not allowed."""
    if action not in TRANSITIONS:
        raise TransitionError(_l("Unknown action: %(action)s.", action=action))
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise TransitionError(_l(
            "“%(action)s” is not possible for a campaign with status %(status)s.",
            status=STATUS_LABELS.get(status, status), action=ACTION_LABELS[action],
        ))
    return target
