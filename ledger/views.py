"""Finance pages (finance role)."""
from flask import Blueprint

from core.access import FINANCE, guard_blueprint

bp = Blueprint("ledger", __name__, url_prefix="/finance")
guard_blueprint(bp, FINANCE)
