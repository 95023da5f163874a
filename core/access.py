"""Who may use which route.

Every endpoint is classified: a blueprint is guarded as a whole with :func:`guard_blueprint`,
and a single view may narrow (or open) that with :func:`requires`. The route × role test in
``tests/test_access.py`` reads the same classification and fails on a route that has none.
"""
from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

PUBLIC = "public"
STAFF = "staff"
FINANCE = "finance"
ADMIN = "admin"
AUDITOR = "auditor"
ROLES = (STAFF, FINANCE, ADMIN, AUDITOR)


def _deny_or_login(roles: frozenset):
    if PUBLIC in roles:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("core.login", next=request.full_path))
    if not current_user.has_any_role(roles):
        abort(403)
    return None


def guard_blueprint(bp, *roles: str) -> None:
    """Require one of ``roles`` (or nothing, for ``PUBLIC``) on every route of ``bp``."""
    bp.wanjia_roles = frozenset(roles)

    @bp.before_request
    def _check_roles():
        view = current_app.view_functions.get(request.endpoint)
        return _deny_or_login(getattr(view, "wanjia_roles", bp.wanjia_roles))


def requires(*roles: str):
    """Give one view its own roles instead of its blueprint's."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)

        wrapped.wanjia_roles = frozenset(roles)
        return wrapped

    return decorate


def endpoint_roles(app, endpoint: str) -> frozenset | None:
    """The roles that may use ``endpoint``; None when the route is unclassified."""
    view = app.view_functions[endpoint]
    if hasattr(view, "wanjia_roles"):
        return view.wanjia_roles
    bp_name = endpoint.rpartition(".")[0]
    bp = app.blueprints.get(bp_name)
    return getattr(bp, "wanjia_roles", None)
