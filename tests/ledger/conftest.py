"""Fixtures for the books: a seeded chart and a restricted sub-fund."""
import pytest

from core.extensions import db
from ledger import chart
from ledger.posting import ensure_fund


@pytest.fixture
def session(app):
    """``db.session`` on a ledger with the standard chart and the general fund."""
    chart.seed_chart(db.session)
    db.session.commit()
    return db.session


@pytest.fixture
def huinan(session):
    """The community charity sub-fund of Huinan town (restricted)."""
    ensure_fund(session, "SUB-HUINAN", name_zh="惠南镇社区慈善专项基金",
                name_en="Huinan community sub-fund", kind="subfund")
    session.commit()
    return "SUB-HUINAN"
