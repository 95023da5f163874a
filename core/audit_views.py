"""The audit log page: admins and auditors read every recorded finance action, filtered.

Read-only: it has no POST route. The events are written by :func:`core.audit.record_audit`.
"""
from datetime import datetime, timedelta

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional

from core.access import ADMIN, AUDITOR, guard_blueprint
from core.audit import audit_events
from core.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")
guard_blueprint(bp, ADMIN, AUDITOR)

LIMIT = 200


class AuditFilterForm(FlaskForm):
    """Read from the query string; it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=60)],
                         description=_l("A prefix such as bank or bank.match."))
    actor = StringField(_l("Who"), validators=[Optional(), Length(max=254)])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=60)])
    start = DateField(_l("From"), validators=[Optional()],
                      render_kw={"type": "date"})
    end = DateField(_l("To"), validators=[Optional()], render_kw={"type": "date"})


@bp.route("/")
def index():
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return render_template("core/audit.html", form=form, events=[], limit=LIMIT), 400
    end = form.end.data
    events = audit_events(
        db.session, action=(form.action.data or "").strip(), actor=form.actor.data or "",
        object_type=(form.object_type.data or "").strip(),
        start=datetime.combine(form.start.data, datetime.min.time()) if form.start.data else None,
        end=datetime.combine(end + timedelta(days=1), datetime.min.time()) if end else None,
        limit=LIMIT)
    return render_template("core/audit.html", form=form, events=events, limit=LIMIT)
