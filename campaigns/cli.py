"""``flask --app wsgi demo seed``"""
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo data for a believable foundation office.")
