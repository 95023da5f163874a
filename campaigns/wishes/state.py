"""The one place that says how a wish's status may change.

::

    draft ──publish──▶ open ──reserve──▶ reserved ──fund──▶ funded ──purchase──▶ purchased
      │                 ▲ ◀──release────── │                                      │
      │                 └──────fund────────┼──────────────▲                   deliver
      └──cancel──▶ cancelled ◀──cancel─────┘ (open only)                          ▼
                                                           closed ◀──close── delivered

``verify`` records who checked the wish at a home visit and leaves it a draft; only a
verified draft may be published. A reservation holds a wish for a few minutes while its donor
pays; an expired one may be taken by the next donor (``reserve`` from ``reserved``).
"""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

DRAFT, OPEN, RESERVED, FUNDED = "draft", "open", "reserved", "funded"
PURCHASED, DELIVERED, CLOSED, CANCELLED = "purchased", "delivered", "closed", "cancelled"
STATUSES = (DRAFT, OPEN, RESERVED, FUNDED, PURCHASED, DELIVERED, CLOSED, CANCELLED)

#: action → (the statuses it may start from, the status it leads to).
TRANSITIONS = {
    "verify": ((DRAFT,), DRAFT),
    "publish": ((DRAFT,), OPEN),
    "reserve": ((OPEN, RESERVED), RESERVED),
    "release": ((RESERVED,), OPEN),
    "fund": ((OPEN, RESERVED), FUNDED),
    "purchase": ((FUNDED,), PURCHASED),
    "deliver": ((PURCHASED,), DELIVERED),
    "close": ((DELIVERED,), CLOSED),
    "cancel": ((DRAFT, OPEN), CANCELLED),
}

#: What became of one donor's reservation.
HELD, RES_FUNDED, EXPIRED = "held", "funded", "expired"
REDIRECTED, REFUND_REQUESTED, REFUNDED = "redirected", "refund_requested", "refunded"
RESERVATION_STATUSES = (HELD, RES_FUNDED, EXPIRED, REDIRECTED, REFUND_REQUESTED, REFUNDED)

STATUS_LABELS = {
    DRAFT: _l("Draft"), OPEN: _l("Waiting for a donor"), RESERVED: _l("Being funded"), FUNDED: _l("Funded"),
    PURCHASED: _l("Bought"), DELIVERED: _l("Delivered"), CLOSED: _l("Closed"),
    CANCELLED: _l("Cancelled"),
}

ACTION_LABELS = {
    "verify": _l("Verify"), "publish": _l("Publish"), "reserve": _l("Reserve"),
    "release": _l("Release"), "fund": lazy_pgettext("wish", "Fund"), "purchase": _l("Record purchase"),
    "deliver": _l("Record delivery"), "close": _l("Close"), "cancel": _l("Cancel"),
}


class WishError(ValueError):
    """A refusal; ``message`` is safe to show, ``field`` names the form field if any."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message, self.field = message, field


class WishTaken(WishError):
    """Someone else holds or has funded the wish; ``similar`` are open wishes like it."""

    def __init__(self, message, similar=()):
        super().__init__(message)
        self.similar = list(similar)


def can(status: str, action: str) -> bool:
    return status in TRANSITIONS[action][0]


def next_status(status: str, action: str) -> str:
    """The status ``action`` leads to from ``status``; :class:`WishError` if not allowed."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise WishError(_l("“%(action)s” is not possible for a wish that is %(status)s.",
                           action=ACTION_LABELS[action], status=STATUS_LABELS.get(status, status)))
    return target


def allowed_actions(status: str) -> list[str]:
    return [a for a, (sources, _t) in TRANSITIONS.items() if status in sources]
