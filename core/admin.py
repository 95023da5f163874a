"""Admin pages: accounts and their roles (admin role only).

Mounted inside the core blueprint (endpoints ``core.admin.*``); the operations themselves
are the services of :mod:`core.auth`, which the ``users`` CLI uses too.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.access import ADMIN, guard_blueprint
from core.auth import (MIN_PASSWORD_LENGTH, DuplicateEmail, SelfLockout, User, create_user,
                       set_user_active, set_user_roles)
from core.extensions import db
from core.forms import ROLE_LABELS, NewUserForm, RolesForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, ADMIN)


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _self_lockout_message() -> str:
    return _("You cannot disable your own account or remove your own administrator role.")


def _users_page(status: int = 200):
    accounts = db.session.scalars(db.select(User).order_by(User.email)).all()
    return render_template("core/users.html", users=accounts, role_labels=ROLE_LABELS), status


def _refused(message: str):
    """Bad input on the list page: say why, show the list again, change nothing."""
    db.session.rollback()
    flash(message, "error")
    return _users_page(400)


@bp.route("/users")
def users():
    return _users_page()


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.password.data, form.roles.data,
                               display_name=form.display_name.data)
        except DuplicateEmail:
            form.email.errors.append(_("Another account already uses this email."))
        else:
            db.session.commit()
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for(".users"))
    return render_template("core/user_new.html", form=form, min_password=MIN_PASSWORD_LENGTH), (
        400 if form.errors else 200
    )


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
def user_roles(user_id: int):
    user, form = _user_or_404(user_id), RolesForm()
    if not form.validate():
        return _refused(_("Choose at least one role."))
    try:
        set_user_roles(user, form.roles.data, acting=current_user)
    except SelfLockout:
        return _refused(_self_lockout_message())
    db.session.commit()
    flash(_("Roles of %(email)s saved.", email=user.email), "success")
    return redirect(url_for(".users"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def user_active(user_id: int):
    user = _user_or_404(user_id)
    try:
        set_user_active(user, request.form.get("active") == "1", acting=current_user)
    except SelfLockout:
        return _refused(_self_lockout_message())
    db.session.commit()
    flash(_("Account %(email)s updated.", email=user.email), "success")
    return redirect(url_for(".users"))
