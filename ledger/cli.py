"""``flask --app wsgi ledger …``"""
from flask.cli import AppGroup

ledger_cli = AppGroup("ledger", help="The books: verify, reports, exports.")
