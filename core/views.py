"""Login, logout and the app-wide error pages."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError

from core.access import PUBLIC, guard_blueprint
from core.auth import AuthError, authenticate
from core.extensions import db, limiter
from core.forms import LoginForm

bp = Blueprint("core", __name__)
guard_blueprint(bp, PUBLIC)


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not (target or "").startswith("/"):
        return url_for("donate.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
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
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("core/login.html", form=form), (400 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("donate.home"))


ERROR_CODES = (400, 403, 404, 405, 413, 429, 500)


def _error_page(code: int, message: str | None = None):
    # The titles are passed through gettext here, at request time, in the user's language.
    title = {
        400: _("Bad request"), 403: _("You do not have access to this page"),
        404: _("Page not found"), 405: _("This action is not allowed here"),
        413: _("The upload is too large"),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side"),
    }[code]
    return render_template("errors.html", code=code, title=title, message=message), code


@bp.app_errorhandler(CSRFError)
def csrf_error(err):
    return _error_page(400, _("The form has expired or was not sent from this site. "
                              "Please reload the page and try again."))


def _register_error_pages():
    for code in ERROR_CODES:
        bp.app_errorhandler(code)(lambda err, code=code: _error_page(code))


_register_error_pages()
