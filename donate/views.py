"""Public pages."""
from flask import Blueprint, render_template

from core.access import PUBLIC, guard_blueprint

bp = Blueprint("donate", __name__)
guard_blueprint(bp, PUBLIC)


@bp.route("/")
def home():
    return render_template("donate/home.html")
