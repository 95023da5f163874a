"""The two state machines of this feature, each in one table.

Disbursement requests::

    requested ──approve──▶ approved        (posts program expense from the sub-fund)
        └──────reject───▶ rejected

Purchase orders (partial receipts allowed)::

    draft ──approve──▶ approved ──receive──▶ partly_received ──receive──▶ received ──pay──▶ paid
                          └────────────receive (everything)───────────────▲
"""
from flask_babel import lazy_gettext as _l

REQUESTED, APPROVED, REJECTED = "requested", "approved", "rejected"
DRAFT, PARTLY_RECEIVED, RECEIVED, PAID = "draft", "partly_received", "received", "paid"

#: action → (statuses it may start from, status it leads to); ``None``: decided by the service.
DISBURSEMENT_TRANSITIONS = {
    "approve": ((REQUESTED,), APPROVED),
    "reject": ((REQUESTED,), REJECTED),
}
PURCHASE_TRANSITIONS = {
    "approve": ((DRAFT,), APPROVED),
    # partly_received or received, depending on what is still due
    "receive": ((APPROVED, PARTLY_RECEIVED), None),
    # paid once all is received and paid; a payment may also settle part of what was received
    "pay": ((PARTLY_RECEIVED, RECEIVED), None),
}

DISBURSEMENT_STATUSES = (REQUESTED, APPROVED, REJECTED)
PURCHASE_STATUSES = (DRAFT, APPROVED, PARTLY_RECEIVED, RECEIVED, PAID)

STATUS_LABELS = {
    REQUESTED: _l("Requested"), APPROVED: _l("Approved"), REJECTED: _l("Rejected"),
    DRAFT: _l("Draft"), PARTLY_RECEIVED: _l("Partly received"), RECEIVED: _l("Received"),
    PAID: _l("Paid"),
}


class HomesError(ValueError):
    """A refusal; ``message`` is safe to show, ``field`` names the form field if any."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message, self.field = message, field


def check_transition(table: dict, status: str, action: str) -> str | None:
    """The status ``action`` leads to from ``status`` (None: the service decides)."""
    sources, target = table[action]
    if status not in sources:
        raise HomesError(_l("This cannot be done to a record with status %(status)s.",
                            status=STATUS_LABELS.get(status, status)))
    return target
