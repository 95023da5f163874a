"""Login, logout and the app-wide error pages."""
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, has_request_context, jsonify, redirect,
                   render_template, request, session, url_for)
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from flask_wtf.csrf import CSRFError

from core.access import PUBLIC, ROLES, guard_blueprint, requires, wants_json
from core.admin import bp as admin_bp
from core.auth import AuthError, authenticate
from core.extensions import db, limiter
from core.forms import LoginForm

bp = Blueprint("core", __name__)
guard_blueprint(bp, PUBLIC)
bp.register_blueprint(admin_bp)  # /admin/…, admin role only


def _safe_next(target: str | None) -> str:
    """Only a path on this site; ``//host`` and ``/\\host`` are other sites to a browser."""
    target = target or ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return url_for("donate.home")
    return target


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except AuthError as err:
            db.session.commit()  # keep the failure count
            form.password.errors.append(str(err.message))
        else:
            db.session.commit()
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("core/login.html", form=form), (400 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
@requires(*ROLES)
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("donate.home"))


#: The large-text mode (适老化). Not HttpOnly: static/js/ui.js flips it in place; it holds
#: only a display preference.
TEXT_SIZE_COOKIE = "text_size"


@bp.route("/text-size")
def text_size():
    """The header's large-text switch without JavaScript: remember the choice, go back."""
    response = redirect(_safe_next(request.args.get("next")))
    if request.args.get("large") == "1":
        response.set_cookie(TEXT_SIZE_COOKIE, "large", max_age=365 * 86400, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    else:
        response.delete_cookie(TEXT_SIZE_COOKIE)
    return response


@bp.app_context_processor
def _text_size_context():
    # Read on the server so that the page arrives already large: no flash of small text.
    large = has_request_context() and request.cookies.get(TEXT_SIZE_COOKIE) == "large"
    return {"large_text": large}


ERROR_CODES = (400, 401, 403, 404, 405, 413, 429, 500)


def _error_title(code: int) -> str:
    # Translated here, at request time, in the user's language.
    return {
        400: _("Bad request"), 401: _("Please log in to see this page."),
        403: _("You do not have access to this page"),
        404: _("Page not found"), 405: _("This action is not allowed here"),
        413: _("The upload is too large"),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side"),
    }[code]


def error_page(code: int, message: str | None = None):
    """The friendly page (or JSON for fetch() callers) for an HTTP error ``code``."""
    title = _error_title(code)
    if wants_json():
        return jsonify(error=code, title=title, message=message), code
    return render_template("errors.html", code=code, title=title, message=message), code


@bp.app_errorhandler(CSRFError)
def csrf_error(err):
    return error_page(400, _("The form has expired or was not sent from this site. "
                             "Please reload the page and try again."))


@bp.app_errorhandler(500)
def server_error(err):
    # The failed request's transaction must not leak into the page or the next request.
    db.session.rollback()
    return error_page(500)


def _register_error_pages():
    for code in ERROR_CODES:
        if code != 500:
            bp.app_errorhandler(code)(lambda err, code=code: error_page(code))


_register_error_pages()
