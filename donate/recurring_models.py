"""Monthly giving plans (月捐): one Stripe subscription each, and the one place that says how a
plan's status may change.

::

    incomplete ──start──▶ active ──fail──▶ past_due ──recover──▶ active
                            │  ▲               │
                            │  └───resume──┐   └──pause (donor, or the final failure)──▶ paused
                            └──pause──▶ paused
    any but cancelled ──cancel──▶ cancelled

A paused plan has no live Stripe subscription (it was cancelled there); resuming makes a new
one on the same Stripe customer, so a paused plan is never lost. ``cancelled`` is final.
Each paid invoice becomes one :class:`donate.models.Donation` with ``plan_id`` set.
"""
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.models import Campaign, Designation
from core.auth import utcnow
from core.extensions import db
from donate.models import new_token
from donate.state import TransitionError

INCOMPLETE, ACTIVE, PAST_DUE, PAUSED, CANCELLED = (
    "incomplete", "active", "past_due", "paused", "cancelled")

#: action → (the statuses it may start from, the status it leads to).
TRANSITIONS = {
    "start": ((INCOMPLETE,), ACTIVE),
    "fail": ((ACTIVE, PAST_DUE), PAST_DUE),
    "recover": ((ACTIVE, PAST_DUE), ACTIVE),
    "pause": ((ACTIVE, PAST_DUE), PAUSED),
    "resume": ((PAUSED,), ACTIVE),
    "cancel": ((INCOMPLETE, ACTIVE, PAST_DUE, PAUSED), CANCELLED),
}

STATUS_LABELS = {
    INCOMPLETE: _l("Waiting for your card"),
    ACTIVE: _l("Active"),
    PAST_DUE: _l("Payment failed, will be retried"),
    PAUSED: _l("Paused"),
    CANCELLED: _l("Cancelled"),
}
PLAN_STATUSES = tuple(STATUS_LABELS)
#: Plans that have a live Stripe subscription which may charge the donor.
LIVE_STATUSES = (ACTIVE, PAST_DUE)


#: The donations' error: a refused status change, with a ``message`` safe to show.
PlanTransitionError = TransitionError


def can(status: str, action: str) -> bool:
    return status in TRANSITIONS[action][0]


def next_status(status: str, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise PlanTransitionError(_l("A monthly gift that is “%(status)s” cannot be changed this way.",
                                     status=STATUS_LABELS.get(status, status)))
    return target


class RecurringPlan(db.Model):
    """A donor's monthly gift to one designation of one drive."""

    __tablename__ = "recurring_plans"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(PLAN_STATUSES), name="known_status"),
        sa.CheckConstraint("amount_fen > 0", name="positive_amount"),
        sa.CheckConstraint("fee_cover_fen >= 0 AND fee_cover_fen < amount_fen", name="fee_cover_range"),
        sa.CheckConstraint("failed_count >= 0", name="failed_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unguessable: the card page's address before the plan starts.
    token: Mapped[str] = mapped_column(sa.String(40), unique=True, default=new_token)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    designation_id: Mapped[int] = mapped_column(sa.ForeignKey("designations.id"))
    #: What each month charges, fee cover included, in minor units.
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: The part of amount_fen that covers the processor fee (copied to each month's gift).
    fee_cover_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    status: Mapped[str] = mapped_column(sa.String(12), default=INCOMPLETE, index=True)
    #: Lower-cased and stripped: the donor page finds plans by it.
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    donor_name: Mapped[str] = mapped_column(sa.String(60), default="")
    anonymous: Mapped[bool] = mapped_column(default=False)
    #: The day Stripe next charges (Shanghai date of the subscription's period end).
    next_charge_on: Mapped[date | None]
    stripe_customer: Mapped[str | None] = mapped_column(sa.String(255))
    #: The live (or last) subscription; a resumed or re-priced plan gets a new one.
    stripe_subscription: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    stripe_plan: Mapped[str | None] = mapped_column(sa.String(255))
    #: Renewals failed in a row; the plan pauses at RECURRING_MAX_FAILURES.
    failed_count: Mapped[int] = mapped_column(default=0)
    #: Why the plan is paused: "donor" or "payment_failed".
    paused_reason: Mapped[str] = mapped_column(sa.String(20), default="")
    client_ip: Mapped[str] = mapped_column(sa.String(45), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None]
    campaign: Mapped[Campaign] = relationship()
    designation: Mapped[Designation] = relationship()

    @property
    def gift_fen(self) -> int:
        return self.amount_fen - self.fee_cover_fen

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)
