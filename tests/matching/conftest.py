"""Fixtures for the matching tests: a live drive with its funds, a sponsor, pledges made live
through the services, and gifts booked through the real booking path at a chosen moment."""
import pytest

from core.extensions import db
from ledger.verify import verify_ledger
from tests.matching import support
from tests.wishes.conftest import english  # noqa: F401  (a request in English, for messages)


@pytest.fixture
def drive(app):
    """The live pooled drive "wanren-test": its own fund C-WANREN-TEST and sub-fund SF-LJZ."""
    return support.make_drive(db.session)


@pytest.fixture
def make_pledge(drive):
    """``make_pledge(status="live", **terms)``: ¥1,000 pool, 1:1, open around T0."""

    def make(status="live", **terms):
        return support.make_pledge(db.session, drive, status, **terms)

    return make


@pytest.fixture
def give(drive):
    """``give(amount_fen, at=T0, **kw)``: a gift booked (and matched) at ``at``."""

    def make(amount_fen, **kw):
        return support.give(db.session, drive, amount_fen, **kw)

    return make


@pytest.fixture
def clean_books(app):
    """Checks after the test that ``ledger verify`` finds nothing wrong."""
    yield
    db.session.rollback()
    assert verify_ledger(db.session) == []
