"""Fixtures for the team tests: the giving tests' live drive, its funds and localstripe."""
from tests.donate.conftest import drive, funds, gateway, localstripe_server, make_drive, stripe_url  # noqa: F401
