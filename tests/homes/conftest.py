"""Fixtures for issue #5: the demo office's funds, people in each role, money in a fund,
a Linyi supplier with its goods, and a gift-pack recipe."""
from datetime import date

import pytest

from core.extensions import db


@pytest.fixture
def funds(app):
    from campaigns.demo import seed_funds

    seed_funds(db.session)
    db.session.commit()


@pytest.fixture
def people(funds, make_user):
    """A liaison of Huinan (staff), two finance officers, one of them also staff."""
    from campaigns.homes.subfunds import add_liaison

    liaison = make_user("staff", "liaison@example.org")
    finance = make_user("finance", "finance@example.org")
    finance2 = make_user("finance", "finance2@example.org")
    add_liaison(db.session, liaison, "HN")
    db.session.commit()
    return {"liaison": liaison, "finance": finance, "finance2": finance2}


@pytest.fixture
def give(funds):
    """``give(fund, fen)``: an offline gift booked straight into the fund's bank account."""
    from ledger import chart
    from ledger.posting import EntryDraft, Line, post_entry

    counter = iter(range(1, 10_000))

    def do(fund: str, fen: int, day=date(2024, 1, 5)):
        n = next(counter)
        post_entry(db.session, EntryDraft(
            date=day, memo="offline gift", idempotency_key=f"test-gift:{fund}:{n}",
            lines=(Line(chart.BANK, fund, fen), Line(chart.DONATION_INCOME, fund, -fen))))
        db.session.commit()

    return do


@pytest.fixture
def linyi(funds):
    """The Linyi region, one supplier, millet (¥30/袋) and peanut oil (¥80/桶), a ¥200 pack."""
    from campaigns.homes import goods

    region = goods.create_region(db.session, "临沂", "山东", "old_base", "GOODS-LY")
    supplier = goods.create_supplier(db.session, region, "临沂沂蒙农产品合作社")
    millet = goods.create_good(db.session, region, name_zh="临沂小米", name_en="Linyi millet",
                               unit="袋", unit_price_fen=3_000)
    oil = goods.create_good(db.session, region, name_zh="花生油", name_en="Peanut oil",
                            unit="桶", unit_price_fen=8_000)
    recipe = goods.create_recipe(db.session, "年货大礼包A", "GOODS-LY", [(millet, 4), (oil, 1)])
    db.session.commit()
    return {"region": region, "supplier": supplier, "millet": millet, "oil": oil, "recipe": recipe}


@pytest.fixture
def keys(app):
    from campaigns.homes.pii import current_keys

    return current_keys()


@pytest.fixture
def english(app):
    """A request context in English, so that lazy messages read as the tests expect."""
    with app.test_request_context("/?lang=en"):
        yield
