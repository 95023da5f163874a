"""The finance audit log: who did what to which object, when, with the state before and after.

Any module may record an event with :func:`record_audit`; it only adds a row to the caller's
session (flushes, never commits), so the event is written in the same transaction as the
action it reports, or not at all. Events are append-only: the ORM refuses to change or
delete one. Admins and auditors read them on ``/audit`` (``core.audit_views``).

Stable API for other modules::

    record_audit(session, actor, action, obj, before, after) -> AuditEvent

- ``actor``: a ``User``, or a string (an email, or ``"system"`` for jobs and the CLI).
- ``action``: a dotted name, area first: ``"bank.import"``, ``"stripe.payout_posted"``,
  ``"period.close"``.
- ``obj``: the model instance acted on (its table name and primary key are kept), a
  ``(type, id)`` pair, or None.
- ``before`` / ``after``: JSON-able dicts (dates, Decimals and the like become strings), or
  None when there was nothing before (a creation) or nothing after (a removal).

``actor_label(actor)`` gives the text an actor is recorded under, for "by" columns elsewhere.
"""
import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from core.auth import utcnow
from core.extensions import db


class AuditEvent(db.Model):
    """One recorded action; never updated or deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: The user who acted, when it was a user (jobs and the CLI leave it empty).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: The actor's email (or ``system``), kept as it was at the time.
    actor: Mapped[str] = mapped_column(sa.String(254), index=True)
    #: Dotted, area first: ``bank.import``, ``bank.match``, ``approval.approve`` …
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    #: The table of the object acted on (``bank_lines``), or another short type name.
    object_type: Mapped[str] = mapped_column(sa.String(60), default="", index=True)
    object_id: Mapped[str] = mapped_column(sa.String(64), default="")
    #: JSON text, or empty when there was no state before (or after).
    before: Mapped[str] = mapped_column(sa.Text, default="")
    after: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def before_data(self):
        return json.loads(self.before) if self.before else None

    @property
    def after_data(self):
        return json.loads(self.after) if self.after else None


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _append_only(mapper, connection, target):
    raise ValueError("Audit events are append-only: they are never changed or deleted.")


def actor_label(actor) -> str:
    """How an actor is written down: a user's email, or the string given (``system``)."""
    return getattr(actor, "email", None) or str(actor or "system")


def _dump(data) -> str:
    if data is None:
        return ""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        kind, ident = obj
        return str(kind), str(ident)
    ident = sa.inspect(obj).identity
    return getattr(obj, "__tablename__", type(obj).__name__), ",".join(map(str, ident or ()))


def record_audit(session, actor, action: str, obj=None, before=None, after=None) -> AuditEvent:
    """Add one audit event to ``session`` and flush it (see the module docstring)."""
    if not action or len(action) > 60:
        raise ValueError(f"An audit action is a short dotted name, not {action!r}.")
    actor_id = getattr(actor, "id", None)
    label = actor_label(actor)
    if obj is not None and not isinstance(obj, tuple):
        session.flush()  # the object's primary key, if it is new
    kind, ident = _object_ref(obj)
    row = AuditEvent(actor_id=actor_id, actor=label, action=action, object_type=kind,
                     object_id=ident, before=_dump(before), after=_dump(after))
    session.add(row)
    session.flush()
    return row


def audit_events(session, *, action: str = "", actor: str = "", object_type: str = "",
                 start: datetime | None = None, end: datetime | None = None,
                 limit: int = 200) -> list[AuditEvent]:
    """The newest events first; ``action`` matches a prefix (``bank`` → ``bank.*``)."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(sa.or_(AuditEvent.action == action,
                                   AuditEvent.action.startswith(action + ".", autoescape=True)))
    if actor:
        query = query.where(AuditEvent.actor.contains(actor.strip().lower(), autoescape=True))
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if start:
        query = query.where(AuditEvent.at >= start)
    if end:
        query = query.where(AuditEvent.at < end)
    return list(session.scalars(query))
