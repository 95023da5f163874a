"""Aggregates for the public "where the money went" page, and the FIFO attribution behind
"trace one gift". Aggregates only: nothing here returns a household.

**Attribution rule (FIFO within the fund).** The gifts to one fund are lined up in the order
they were booked (then by id), each as a run of fen; the fund's spending is lined up in the
order it happened — disbursements by payment date, gift packs by delivery date (then by id).
Each fen spent is matched to the earliest gift fen not yet matched. So a gift is spent after
every earlier gift to the same fund, and whatever is not matched is still in the fund.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from campaigns.homes.models import (Disbursement, Distribution, Good, GoodsReceipt, Household,
                                    PackItem, PackRecipe, PairedRegion, PurchaseLine, PurchaseOrder,
                                    Supplier)
from campaigns.homes.state import APPROVED, DRAFT


@dataclass(frozen=True)
class Spend:
    #: "disbursement" or "pack".
    kind: str
    amount_fen: int
    day: date
    #: The street/town of a delivered pack; the purpose of a disbursement.
    street_code: str = ""
    purpose: str = ""


@dataclass
class Piece:
    """The part of one gift that one kind of spending took (grouped by kind, day and place)."""

    kind: str
    amount_fen: int
    day: date
    street_code: str = ""
    purpose: str = ""
    #: For packs: how many packs (fen of the gift / pack cost, summed).
    packs_fen: list = field(default_factory=list)


def fund_spends(session, fund_code: str) -> list[Spend]:
    """Every spend of ``fund_code`` in FIFO order (see the module docstring)."""
    out = [Spend("disbursement", d.amount_fen, d.paid_on, purpose=d.purpose) for d in session.scalars(
        sa.select(Disbursement).where(Disbursement.fund_code == fund_code, Disbursement.status == APPROVED))]
    rows = session.execute(
        sa.select(Distribution.delivered_on, Distribution.id, PackRecipe.pack_cost_fen, Household.street_code)
        .join(PackRecipe, PackRecipe.id == Distribution.recipe_id)
        .join(Household, Household.id == Distribution.household_id)
        .where(PackRecipe.fund_code == fund_code, Distribution.delivered_on.is_not(None)))
    out += [Spend("pack", cost, day, street_code=street) for day, _id, cost, street in
            sorted(rows, key=lambda r: (r[0], r[1]))]
    return sorted(out, key=lambda s: s.day)  # stable: same-day order kept


def attribute(start_fen: int, amount_fen: int, spends: list[Spend]) -> list[Piece]:
    """What the gift occupying fen ``[start, start + amount)`` of its fund's gifts became."""
    end, cursor, pieces = start_fen + amount_fen, 0, {}
    for spend in spends:
        lo, hi = max(cursor, start_fen), min(cursor + spend.amount_fen, end)
        if lo < hi:
            key = (spend.kind, spend.day, spend.street_code, spend.purpose)
            piece = pieces.setdefault(key, Piece(spend.kind, 0, spend.day, spend.street_code, spend.purpose))
            piece.amount_fen += hi - lo
            piece.packs_fen.append((hi - lo, spend.amount_fen))
        cursor += spend.amount_fen
        if cursor >= end:
            break
    return list(pieces.values())


def goods_by_supplier(session, fund_codes) -> list[dict]:
    """Value of goods received per region and supplier, for the given goods funds."""
    value = sa.func.sum(GoodsReceipt.quantity * PurchaseLine.unit_price_fen)
    rows = session.execute(
        sa.select(PairedRegion.name, PairedRegion.province, Supplier.name, value)
        .join(PurchaseLine, PurchaseLine.id == GoodsReceipt.line_id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseLine.order_id)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(PairedRegion, PairedRegion.id == Supplier.region_id)
        .where(PurchaseOrder.fund_code.in_(list(fund_codes)))
        .group_by(PairedRegion.name, PairedRegion.province, Supplier.name)
        .order_by(PairedRegion.name, Supplier.name))
    return [{"region": r, "province": p, "supplier": s, "value_fen": int(v or 0)} for r, p, s, v in rows]


def deliveries_by_street(session, campaign_id: int) -> list[dict]:
    """Packs delivered and distinct homes reached per street/town in one drive."""
    rows = session.execute(
        sa.select(Household.street_code, sa.func.count(Distribution.id),
                  sa.func.count(sa.distinct(Distribution.household_id)),
                  sa.func.sum(PackRecipe.pack_cost_fen))
        .join(Household, Household.id == Distribution.household_id)
        .join(PackRecipe, PackRecipe.id == Distribution.recipe_id)
        .where(Distribution.campaign_id == campaign_id, Distribution.delivered_on.is_not(None))
        .group_by(Household.street_code).order_by(Household.street_code))
    return [{"street_code": s, "packs": int(p), "homes": int(h), "value_fen": int(v or 0)}
            for s, p, h, v in rows]


def disbursed_by_fund(session, fund_codes) -> dict[str, int]:
    totals = defaultdict(int)
    for code, amount in session.execute(
            sa.select(Disbursement.fund_code, sa.func.sum(Disbursement.amount_fen))
            .where(Disbursement.fund_code.in_(list(fund_codes)), Disbursement.status == APPROVED)
            .group_by(Disbursement.fund_code)):
        totals[code] = int(amount or 0)
    return dict(totals)




# -- staff reports (coverage, inventory, purchases) ------------------------------------------

def _coverage_by(session, column, campaign_id: int) -> list[dict]:
    """Households registered and served (confirmed delivery in the drive) per ``column``.
    One pack per household per drive (a unique constraint), so counting the joined
    distributions counts distinct households served."""
    served = sa.and_(Distribution.household_id == Household.id, Distribution.campaign_id == campaign_id,
                     Distribution.delivered_on.is_not(None))
    rows = session.execute(
        sa.select(column, sa.func.count(Household.id), sa.func.count(Distribution.id))
        .outerjoin(Distribution, served).group_by(column).order_by(column))
    return [{"key": key, "registered": int(reg), "served": int(srv), "missing": int(reg) - int(srv)}
            for key, reg, srv in rows]


def coverage(session, campaign_id: int) -> dict:
    """不遗漏: who is registered but not yet served in one drive, per street/town and category."""
    by_street = _coverage_by(session, Household.street_code, campaign_id)
    total = {k: sum(r[k] for r in by_street) for k in ("registered", "served", "missing")}
    return {"by_street": by_street, "by_category": _coverage_by(session, Household.category, campaign_id),
            "total": total}


def _received_by_lot(session) -> list:
    return list(session.execute(
        sa.select(Good.id, GoodsReceipt.lot_number, sa.func.sum(GoodsReceipt.quantity))
        .join(PurchaseLine, PurchaseLine.id == GoodsReceipt.line_id)
        .join(Good, Good.id == PurchaseLine.good_id)
        .group_by(Good.id, GoodsReceipt.lot_number).order_by(Good.id, GoodsReceipt.lot_number)))


def _delivered_units(session) -> dict[int, tuple[int, int]]:
    """good id → (packs delivered that hold it, units in them), over every drive."""
    rows = session.execute(
        sa.select(PackItem.good_id, sa.func.count(Distribution.id), sa.func.sum(PackItem.quantity))
        .join(Distribution, Distribution.recipe_id == PackItem.recipe_id)
        .where(Distribution.delivered_on.is_not(None)).group_by(PackItem.good_id))
    return {good: (int(packs), int(units or 0)) for good, packs, units in rows}


def inventory(session) -> dict:
    """Units received per item and lot, and per item: received − delivered (packs × the
    recipe's quantity of the item) = on hand. Deliveries do not record a lot, so the units
    delivered are known per item only; the lot table shows what was received."""
    lots = _received_by_lot(session)
    goods = {g.id: g for g in session.scalars(sa.select(Good).order_by(Good.id))}
    delivered, received = _delivered_units(session), defaultdict(int)
    for good_id, _lot, qty in lots:
        received[good_id] += int(qty)
    items = [{"good": g, "received": received[g.id], "packs": delivered.get(g.id, (0, 0))[0],
              "delivered": delivered.get(g.id, (0, 0))[1],
              "on_hand": received[g.id] - delivered.get(g.id, (0, 0))[1]}
             for g in goods.values() if g.id in received or g.id in delivered]
    return {"items": items,
            "lots": [{"good": goods[g], "lot": lot, "received": int(q)} for g, lot, q in lots]}


def purchases_by_supplier(session) -> list[dict]:
    """Ordered (approved orders and later; drafts are not orders yet), received and paid, in
    fen, per supplier. Line totals are summed per order first so that the order's received and
    paid amounts are not counted once per line."""
    ordered = (sa.select(PurchaseLine.order_id,
                         sa.func.sum(PurchaseLine.quantity * PurchaseLine.unit_price_fen).label("fen"))
               .group_by(PurchaseLine.order_id).subquery())
    live = sa.and_(PurchaseOrder.supplier_id == Supplier.id, PurchaseOrder.status != DRAFT)
    rows = session.execute(
        sa.select(Supplier.name, PairedRegion.name, sa.func.count(PurchaseOrder.id),
                  sa.func.sum(ordered.c.fen), sa.func.sum(PurchaseOrder.received_fen),
                  sa.func.sum(PurchaseOrder.paid_fen))
        .join(PairedRegion, PairedRegion.id == Supplier.region_id)
        .outerjoin(PurchaseOrder, live).outerjoin(ordered, ordered.c.order_id == PurchaseOrder.id)
        .group_by(Supplier.id, Supplier.name, PairedRegion.name).order_by(Supplier.id))
    return [{"supplier": s, "region": r, "orders": int(n), "ordered_fen": int(o or 0),
             "received_fen": int(rc or 0), "paid_fen": int(p or 0), "unpaid_fen": int(rc or 0) - int(p or 0)}
            for s, r, n, o, rc, p in rows]
