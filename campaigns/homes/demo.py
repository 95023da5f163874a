"""Demo data of issue #5 (fictitious throughout): two paired regions with suppliers and goods,
a gift-pack recipe, a received purchase order, 300 households named 测试户001… with generated
ID numbers that only pass the check digit, a distribution list, and the deliveries the goods
fund can pay for. Idempotent: everything is found by name (or hash) before it is made."""
from datetime import date

import sqlalchemy as sa

from campaigns.homes import distribution, goods, households, idnumber, purchasing, subfunds
from campaigns.homes.households import HouseholdInput
from campaigns.homes.models import (Distribution, Good, Household, PackRecipe, PairedRegion,
                                    PurchaseOrder, Supplier)
from campaigns.homes.pii import PiiKeys
from campaigns.models import Campaign
from core.auth import User
from ledger.balances import fund_net_assets

#: name, province, pairing, fund, supplier, [(name_zh, name_en, unit, price fen)]
REGIONS = (
    ("普洱", "云南", "aid", "GOODS-YN", "普洱山货专业合作社（演示）",
     [("云南香肠", "Yunnan sausage", "袋", 4_500)]),
    ("临沂", "山东", "old_base", "GOODS-LY", "临沂沂蒙农产品合作社（演示）",
     [("临沂小米", "Linyi millet", "袋", 3_000), ("花生油", "Peanut oil", "桶", 8_000),
      ("牛奶", "Milk", "箱", 6_000)]),
)
RECIPE = ("沂蒙年货大礼包", "GOODS-LY", (("临沂小米", 2), ("花生油", 1), ("牛奶", 1)))
PACKS_ORDERED = 100
HOUSEHOLDS = 300
STREETS = ("LJZ", "JYXC", "HN", "ZQ", "NHXC")
CATEGORIES = ("dibao", "low_income", "expense_poverty", "disabled_jobless", "destitute",
              "entitled", "elderly_alone")
DELIVERY_DAY = date(2024, 1, 18)


def _one(session, model, **by):
    return session.scalar(sa.select(model).filter_by(**by))


def seed_catalogue(session) -> PackRecipe:
    for name, province, pairing, fund, supplier, items in REGIONS:
        region = _one(session, PairedRegion, name=name) or goods.create_region(
            session, name, province, pairing, fund)
        if _one(session, Supplier, name=supplier) is None:
            goods.create_supplier(session, region, supplier)
        for name_zh, name_en, unit, price in items:
            if _one(session, Good, name_zh=name_zh) is None:
                goods.create_good(session, region, name_zh=name_zh, name_en=name_en, unit=unit,
                                  unit_price_fen=price)
    name, fund, items = RECIPE
    return _one(session, PackRecipe, name=name) or goods.create_recipe(
        session, name, fund, [(_one(session, Good, name_zh=g), q) for g, q in items])


def seed_order(session, recipe: PackRecipe, drafter: User, approver: User) -> PurchaseOrder:
    """A Linyi order for PACKS_ORDERED packs, approved and received in full (not yet paid)."""
    supplier = _one(session, Supplier, name=REGIONS[1][4])
    order = _one(session, PurchaseOrder, supplier_id=supplier.id)
    if order is not None:
        return order
    lines = [(item.good, item.quantity * PACKS_ORDERED, item.good.unit_price_fen) for item in recipe.items]
    order = purchasing.create_order(session, supplier, lines, drafter)
    purchasing.approve_order(session, order, approver)
    purchasing.receive_goods(session, order, [(line, line.quantity, f"DEMO-{line.id:03d}")
                                              for line in order.lines], date(2024, 1, 10))
    return order


def seed_households(session, keys: PiiKeys) -> int:
    made = 0
    for n in range(1, HOUSEHOLDS + 1):
        number = idnumber.make_fake("310115", date(1940 + n % 60, 1 + n % 12, 1 + n % 28), n)
        if households.is_registered(session, keys, number):
            continue
        households.register_household(session, keys, HouseholdInput(
            street=STREETS[n % len(STREETS)], committee=f"演示居委{n % 9 + 1}",
            category=CATEGORIES[n % len(CATEGORIES)], head_name=f"测试户{n:03d}",
            id_number=number, phone="", members=str(1 + n % 5)))
        made += 1
    return made


def seed_deliveries(session, slug: str = "wanren-juan", limit: int = 40) -> int:
    """Put the first households on the drive's list and deliver what the goods fund can pay."""
    campaign = _one(session, Campaign, slug=slug)
    recipe = _one(session, PackRecipe, name=RECIPE[0])
    if campaign is None or recipe is None:
        return 0
    distribution.assign_packs(session, campaign.id, recipe, households.list_households(session, limit=limit))
    affordable = fund_net_assets(session, recipe.fund_code) // recipe.pack_cost_fen
    waiting = session.scalars(sa.select(Distribution).where(
        Distribution.campaign_id == campaign.id, Distribution.delivered_on.is_(None))
        .order_by(Distribution.id).limit(max(0, affordable)))
    done = 0
    for dist in waiting:
        distribution.confirm_delivery(session, dist, DELIVERY_DAY, "演示社工", "演示数据")
        done += 1
    return done


def seed_homes(session, keys: PiiKeys, staff: User, finance: User) -> dict:
    recipe = seed_catalogue(session)
    seed_order(session, recipe, staff, finance)
    subfunds.add_liaison(session, staff, "HN")
    seed_households(session, keys)
    seed_deliveries(session)
    session.flush()
    # What exists afterwards (not what was new), so that a second run returns the same.
    return {"households": session.scalar(sa.select(sa.func.count(Household.id))),
            "deliveries": session.scalar(sa.select(sa.func.count(Distribution.id))
                                         .where(Distribution.delivered_on.is_not(None)))}
