"""The staff blueprint of issue #5, shared by ``views`` and ``views_goods``."""
from flask import Blueprint, flash
from flask_babel import gettext as _

from core.access import FINANCE, STAFF, guard_blueprint
from core.extensions import db

bp = Blueprint("homes", __name__, url_prefix="/staff/homes")
guard_blueprint(bp, STAFF, FINANCE)


def refused(err, form=None) -> None:
    """Undo the request's writes and show a service's refusal (on its field when there is one)."""
    db.session.rollback()
    if form is not None and err.field and err.field in form:
        form[err.field].errors = list(form[err.field].errors) + [str(err.message)]
    else:
        flash(str(err.message), "error")


def form_invalid(form) -> None:
    for field in form:
        for message in field.errors:
            flash(_("%(field)s: %(message)s", field=field.label.text, message=message), "error")
