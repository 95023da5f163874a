"""Who may use which route.

Every endpoint is classified: a blueprint is guarded as a whole with :func:`guard_blueprint`,
and a single view may narrow (or open) that with :func:`requires`. One app-wide check
(:func:`enforce_access`, installed by :func:`init_app`) reads the classification before any
view runs, and refuses a route that has none: access fails closed. The route × role test in
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


def wants_json() -> bool:
    """True for fetch()/API callers, who get status codes instead of pages and redirects."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def _deny_or_login(roles: frozenset):
    if PUBLIC in roles:
        return None
    if not current_user.is_authenticated:
        if wants_json():
            abort(401)
        return redirect(url_for("core.login", next=request.full_path.rstrip("?")))
    if not current_user.has_any_role(roles):
        abort(403)
    return None


def guard_blueprint(bp, *roles: str) -> None:
    """Require one of ``roles`` (or nothing, for ``PUBLIC``) on every route of ``bp``."""
    _check_roles(roles)
    bp.wanjia_roles = frozenset(roles)


def requires(*roles: str):
    """Give one view its own roles instead of its blueprint's.

    The wrapper checks too, so that the view stays guarded even when it is mounted outside
    the app-wide check (a test app, another blueprint).
    """
    _check_roles(roles)

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return _deny_or_login(wrapped.wanjia_roles) or view(*args, **kwargs)

        wrapped.wanjia_roles = frozenset(roles)
        return wrapped

    return decorate


def _check_roles(roles) -> None:
    unknown = set(roles) - set(ROLES) - {PUBLIC}
    if not roles or unknown:
        raise ValueError(f"guard needs known roles, got {sorted(roles)}")


def _is_static(endpoint: str) -> bool:
    return endpoint == "static" or endpoint.endswith(".static")


def endpoint_roles(app, endpoint: str) -> frozenset | None:
    """The roles that may use ``endpoint``; None when the route is unclassified."""
    if _is_static(endpoint):
        return frozenset({PUBLIC})
    view = app.view_functions[endpoint]
    if hasattr(view, "wanjia_roles"):
        return view.wanjia_roles
    bp_name = endpoint.rpartition(".")[0]
    bp = app.blueprints.get(bp_name)
    return getattr(bp, "wanjia_roles", None)


def enforce_access():
    """``before_request``: apply the endpoint's roles; an unclassified route is refused."""
    if request.endpoint is None:  # no route matched: the 404/405 handlers answer
        return None
    roles = endpoint_roles(current_app, request.endpoint)
    if roles is None:
        current_app.logger.error("route %s has no access classification", request.endpoint)
        abort(403)
    return _deny_or_login(roles)


def may_use(endpoint: str) -> bool:
    """Whether the current visitor may open ``endpoint`` (False if it does not exist).

    Templates use it to show a link only to those it would not refuse.
    """
    if endpoint not in current_app.view_functions:
        return False
    roles = endpoint_roles(current_app, endpoint) or frozenset()
    return PUBLIC in roles or (current_user.is_authenticated and current_user.has_any_role(roles))


def init_app(app) -> None:
    # Registered at app level, so it runs before every blueprint's own before_request.
    app.before_request(enforce_access)
    app.jinja_env.globals["may_use"] = may_use
