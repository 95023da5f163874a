"""Fixtures for the micro-wish tests: a live wish drive with its ledger fund, wishes in any
status, and gifts booked through the real ``book_donation_succeeded`` path."""
from datetime import timedelta

import pytest

from core.auth import utcnow
from core.extensions import db
from tests.donate.conftest import gateway, localstripe_server, stripe_url  # noqa: F401
from tests.wishes import support


@pytest.fixture
def english(app):
    with app.test_request_context("/?lang=en"):
        yield


@pytest.fixture
def drive(app):
    """The live wish drive "dongri-nuanyang" (cap ¥500, 15-minute holds)."""
    return support.make_drive(db.session)


@pytest.fixture
def make_wish(drive):
    """``make_wish(status="open", **fields)``: a wish moved to ``status`` by the services."""

    def make(status="open", **fields):
        wish = support.make_wish(db.session, drive, status, **fields)
        db.session.commit()
        return wish

    return make


@pytest.fixture
def now():
    """An hour ago: holds taken then have run out by the time a gift is booked (real clock)."""
    return utcnow().replace(microsecond=0) - timedelta(hours=1)
