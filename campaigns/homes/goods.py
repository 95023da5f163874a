"""Paired regions (对口援建地区 / 革命老区), their suppliers, the goods catalogue and gift-pack
recipes. Prices are typed in yuan and parsed once, here, into fen."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns.homes.models import PAIRING_TYPES, Good, PackItem, PackRecipe, PairedRegion, Supplier
from campaigns.homes.state import HomesError
from ledger.models import Fund
from ledger.money import Money, MoneyError

PAIRING_LABELS = {"aid": _l("Paired aid region (对口援建)"),
                  "old_base": _l("Old revolutionary base (革命老区)")}

_PRICE_MESSAGES = {
    "too_many_decimals": _l("Use at most two decimal places (fen)."),
    "too_large": _l("The amount is too large."),
}


def parse_price(text: str, field: str = "unit_price") -> int:
    """Fen of a positive price typed in yuan ("12.50"); HomesError otherwise."""
    try:
        money = Money.parse(str(text or ""), "CNY", allow_negative=True)
    except MoneyError as err:
        raise HomesError(_PRICE_MESSAGES.get(err.code, _l("Enter a price like 50 or 12.50.")),
                         field) from None
    if money.amount <= 0:
        raise HomesError(_l("The price must be more than zero."), field)
    return money.amount


def parse_quantity(text, field: str = "quantity") -> int:
    """A whole number of units, at least one."""
    raw = str(text if text is not None else "").strip()
    if not raw.lstrip("-").isdigit() or int(raw) <= 0:
        raise HomesError(_l("A quantity is a whole number of at least 1."), field)
    return int(raw)


def goods_funds(session) -> list[Fund]:
    return list(session.scalars(sa.select(Fund).where(Fund.kind == "goods").order_by(Fund.code)))


def _need(text: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise HomesError(_l("This field is required."), field)
    return text


def create_region(session, name: str, province: str, pairing_type: str, fund_code: str) -> PairedRegion:
    if pairing_type not in PAIRING_TYPES:
        raise HomesError(_l("Choose a pairing type."), "pairing_type")
    if fund_code not in {f.code for f in goods_funds(session)}:
        raise HomesError(_l("Choose one of the goods funds."), "fund_code")
    region = PairedRegion(name=_need(name, "name"), province=_need(province, "province"),
                          pairing_type=pairing_type, fund_code=fund_code)
    session.add(region)
    session.flush()
    return region


def create_supplier(session, region: PairedRegion, name: str) -> Supplier:
    supplier = Supplier(region_id=region.id, name=_need(name, "name"))
    session.add(supplier)
    session.flush()
    return supplier


def create_good(session, region: PairedRegion, *, name_zh: str, name_en: str, unit: str,
                unit_price_fen: int) -> Good:
    if unit_price_fen <= 0:
        raise HomesError(_l("The price must be more than zero."), "unit_price")
    good = Good(region_id=region.id, name_zh=_need(name_zh, "name_zh"), name_en=(name_en or "").strip(),
                unit=_need(unit, "unit"), unit_price_fen=unit_price_fen)
    session.add(good)
    session.flush()
    return good


def create_recipe(session, name: str, fund_code: str, items) -> PackRecipe:
    """A pack of ``items`` — ``[(good, quantity), …]`` — costed at today's unit prices."""
    items = list(items)
    if not items:
        raise HomesError(_l("A gift pack needs at least one item."), "items")
    if any(qty <= 0 for _good, qty in items):
        raise HomesError(_l("A quantity is a whole number of at least 1."), "items")
    if len({good.id for good, _qty in items}) != len(items):
        raise HomesError(_l("List each item once."), "items")
    if fund_code not in {f.code for f in goods_funds(session)}:
        raise HomesError(_l("Choose one of the goods funds."), "fund_code")
    recipe = PackRecipe(name=_need(name, "name"), fund_code=fund_code,
                        pack_cost_fen=sum(good.unit_price_fen * qty for good, qty in items),
                        items=[PackItem(good_id=good.id, quantity=qty) for good, qty in items])
    session.add(recipe)
    session.flush()
    return recipe


def catalogue(session) -> dict:
    """Everything the goods page lists."""
    def all_of(model, order):
        return list(session.scalars(sa.select(model).order_by(order)))

    return {"regions": all_of(PairedRegion, PairedRegion.id), "suppliers": all_of(Supplier, Supplier.id),
            "goods": all_of(Good, Good.id), "recipes": all_of(PackRecipe, PackRecipe.id)}
