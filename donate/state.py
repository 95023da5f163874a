"""The one place that says how a donation's status may change.

::

    pending ──succeed──▶ succeeded ──refund_part──▶ partially_refunded ──refund_all──▶ refunded
       │  ▲                 │ └──────────refund_all──────────────────────────────────▶ refunded
       │  └──succeed── failed          │
       ├──fail──▶ failed               └──dispute──▶ disputed ──win──▶ succeeded / partially_refunded
       └──cancel──▶ canceled                                  └─lose──▶ lost

A failed attempt can still succeed: the donor may retry the same PaymentIntent with another
card. ``refunded``, ``lost`` and ``canceled`` are final.
"""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

PENDING, SUCCEEDED, PARTIALLY_REFUNDED, REFUNDED = (
    "pending", "succeeded", "partially_refunded", "refunded")
DISPUTED, LOST, FAILED, CANCELED = "disputed", "lost", "failed", "canceled"

#: action → (the statuses it may start from, the status it leads to).
TRANSITIONS = {
    "succeed": ((PENDING, FAILED), SUCCEEDED),
    "fail": ((PENDING,), FAILED),
    "cancel": ((PENDING, FAILED), CANCELED),
    "refund_part": ((SUCCEEDED, PARTIALLY_REFUNDED), PARTIALLY_REFUNDED),
    "refund_all": ((SUCCEEDED, PARTIALLY_REFUNDED), REFUNDED),
    "dispute": ((SUCCEEDED, PARTIALLY_REFUNDED), DISPUTED),
    "win_dispute": ((DISPUTED,), SUCCEEDED),
    "win_dispute_partial": ((DISPUTED,), PARTIALLY_REFUNDED),
    "lose_dispute": ((DISPUTED,), LOST),
}

#: Status names for people.
STATUS_LABELS = {
    PENDING: _l("Waiting for payment"),
    SUCCEEDED: lazy_pgettext("money", "Received"),  # 已到账, not goods received (已收货)
    PARTIALLY_REFUNDED: _l("Partly refunded"),
    REFUNDED: _l("Refunded"),
    DISPUTED: _l("Disputed by the card holder"),
    LOST: _l("Returned to the card holder after a dispute"),
    FAILED: _l("Payment failed"),
    CANCELED: _l("Canceled"),
}

#: The statuses whose gift is in the books (a ledger entry and a receipt number exist).
BOOKED_STATUSES = (SUCCEEDED, PARTIALLY_REFUNDED, REFUNDED, DISPUTED, LOST)


class TransitionError(ValueError):
    """A status change the state machine does not allow; ``message`` is safe to show."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def can(status: str, action: str) -> bool:
    return status in TRANSITIONS[action][0]


def next_status(status: str, action: str) -> str:
    """The status ``action`` leads to from ``status``; :class:`TransitionError` if not allowed."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise TransitionError(_l(
            "A donation that is “%(status)s” cannot be changed this way.",
            status=STATUS_LABELS.get(status, status),
        ))
    return target
