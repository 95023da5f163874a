"""The demo seed of issue #5: regions, goods, a received order, 300 fictitious households with
valid check digits, deliveries once gifts exist; idempotent."""
import sqlalchemy as sa

from campaigns.homes import idnumber
from campaigns.homes.demo import seed_deliveries
from campaigns.homes.models import Distribution, Good, Household, PairedRegion, PurchaseOrder
from core.extensions import db
from ledger import chart
from ledger.balances import account_balance


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_demo_seed_makes_the_homes_world_once(app, keys, give):
    from campaigns.demo import seed_office

    result = seed_office(db.session)
    db.session.commit()
    assert result["homes"] == {"households": 300, "deliveries": 0}
    assert {r.pairing_type for r in db.session.scalars(sa.select(PairedRegion))} == {"aid", "old_base"}
    assert {g.name_zh for g in db.session.scalars(sa.select(Good))} == {"云南香肠", "临沂小米", "花生油", "牛奶"}
    order = db.session.scalar(sa.select(PurchaseOrder))
    assert order.status == "received" and order.received_fen == 100 * 20_000
    assert account_balance(db.session, chart.INVENTORY, "GOODS-LY") == 2_000_000
    h = db.session.scalar(sa.select(Household).where(Household.head_name == "测试户001"))
    assert idnumber.id_problem(keys.decrypt(h.id_encrypted)) is None
    give("GOODS-LY", 100_000)  # a ¥1,000 gift pays for five ¥200 packs
    assert seed_deliveries(db.session) == 5
    db.session.commit()
    assert seed_office(db.session)["homes"] == {"households": 300, "deliveries": 5}
    db.session.commit()
    assert _count(Household) == 300 and _count(PurchaseOrder) == 1
    assert _count(Distribution, Distribution.delivered_on.is_not(None)) == 5
