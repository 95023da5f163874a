"""What the donor page reads and writes for a signed-in donor: their gifts, their plans (looked
up through the signed-in emails, never by id alone), their preferences. Flush, never commit."""
import sqlalchemy as sa
from flask import abort

from donate.donor_models import DonorPreference
from donate.models import Donation
from donate.recurring_models import RecurringPlan
from donate.state import BOOKED_STATUSES


def donor_gifts(session, emails: list[str]) -> list[Donation]:
    """Every booked gift made with any of ``emails`` (case and spaces ignored), newest first."""
    stmt = (sa.select(Donation)
            .where(sa.func.lower(sa.func.trim(Donation.email)).in_(emails),
                   Donation.status.in_(BOOKED_STATUSES))
            .order_by(Donation.succeeded_at.desc(), Donation.id.desc()))
    return list(session.scalars(stmt))


def donor_plans(session, emails: list[str]) -> list[RecurringPlan]:
    """The donor's monthly plans that have started (a plan never given a card is not shown)."""
    stmt = (sa.select(RecurringPlan)
            .where(RecurringPlan.email.in_(emails), RecurringPlan.status != "incomplete")
            .order_by(RecurringPlan.id))
    return list(session.scalars(stmt))


def plan_for_donor(session, emails: list[str], plan_id: int) -> RecurringPlan:
    """The plan ``plan_id`` if it is one of the donor's; 404 otherwise (guessing an id finds
    nothing, and does not say whether the plan exists)."""
    plan = session.scalar(sa.select(RecurringPlan).where(
        RecurringPlan.id == plan_id, RecurringPlan.email.in_(emails)))
    if plan is None:
        abort(404)
    return plan


def donor_preference(session, emails: list[str]) -> DonorPreference:
    """The preferences of the first email (a new, all-off one if there are none yet)."""
    pref = session.scalar(sa.select(DonorPreference).filter_by(email=emails[0]))
    return pref or DonorPreference(email=emails[0], updates=False, wish_notes=False)


def save_preferences(session, emails: list[str], *, updates: bool, wish_notes: bool) -> None:
    """The same choices for every email the donor proved; receipts are not a choice."""
    for email in emails:
        pref = session.scalar(sa.select(DonorPreference).filter_by(email=email))
        if pref is None:
            pref = DonorPreference(email=email)
            session.add(pref)
        pref.updates, pref.wish_notes = updates, wish_notes
    session.flush()
