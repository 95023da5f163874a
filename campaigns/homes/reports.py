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

from campaigns.homes.models import (Disbursement, Distribution, GoodsReceipt, Household,
                                    PackRecipe, PairedRegion, PurchaseLine, PurchaseOrder, Supplier)
from campaigns.homes.state import APPROVED


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


