"""Fixtures for the staff campaign tests: the ledger's funds, and campaigns in each status."""
import pytest

from tests.conftest import campaign_in_status

from core.extensions import db


@pytest.fixture
def valid_form():
    """Form fields of a valid new campaign, as staff type them."""
    return {
        "slug": "winter-2024", "kind": "pooled", "title_zh": "冬季帮困", "title_en": "Winter relief",
        "story_zh": "为困难家庭送温暖。", "story_en": "Warmth for families in hardship.",
        "cover_image": "", "currency": "CNY", "goal": "3000000", "donor_goal": "10000",
        "homes_goal": "10000", "starts_at": "", "ends_at": "", "fee_bearer": "designated",
        "preset_amounts": "50, 100, 200", "min_gift": "1", "max_gift": "50000",
        "designation_funds": ["SF-LJZ", "GOODS-YN"],
    }


@pytest.fixture
def funds(app):
    """The chart, two street/town sub-funds and a goods fund."""
    from ledger.chart import seed_chart
    from ledger.posting import ensure_fund

    seed_chart(db.session)
    ensure_fund(db.session, "SF-LJZ", name_zh="陆家嘴街道社区慈善专项基金",
                name_en="Lujiazui community charity sub-fund", restriction="restricted", kind="subfund")
    ensure_fund(db.session, "SF-HN", name_zh="惠南镇社区慈善专项基金",
                name_en="Huinan community charity sub-fund", restriction="restricted", kind="subfund")
    ensure_fund(db.session, "GOODS-YN", name_zh="云南对口援建地区特产",
                name_en="Goods from the paired regions in Yunnan", restriction="restricted", kind="goods")
    db.session.commit()
    return ("SF-LJZ", "SF-HN", "GOODS-YN")


@pytest.fixture
def make_campaign(funds):
    """``make_campaign(status="draft", **fields)``: a campaign moved to ``status`` by the services."""

    def make(status="draft", **fields):
        fields.setdefault("slug", f"drive-{status}")
        fields.setdefault("title_zh", "冬季帮困")
        fields.setdefault("designation_funds", ("SF-LJZ",))
        return campaign_in_status(status, **fields)

    return make


@pytest.fixture
def english(app):
    """A request context in English, so that lazy messages read as the tests expect."""
    with app.test_request_context("/?lang=en"):
        yield
