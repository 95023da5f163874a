"""Fixtures for the year-end statements: the giving tests' live drive and its funds."""
from tests.donate.conftest import drive, funds, make_drive  # noqa: F401
