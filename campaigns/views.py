"""Staff pages (staff role)."""
from flask import Blueprint

from core.access import STAFF, guard_blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/staff")
guard_blueprint(bp, STAFF)
