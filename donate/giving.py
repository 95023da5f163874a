"""The giving flow: donate form, PaymentIntent, thank-you page, receipts, Stripe webhook."""
from flask import Blueprint

from core.access import PUBLIC, guard_blueprint

bp = Blueprint("giving", __name__)
guard_blueprint(bp, PUBLIC)
