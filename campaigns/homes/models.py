"""Tables of issue #5: liaisons and disbursements, paired regions, suppliers, goods, gift-pack
recipes, purchase orders and receipts, households, import previews and distributions."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.homes import state
from core.auth import utcnow
from core.extensions import db

PAIRING_TYPES = ("aid", "old_base")  # 对口援建, 革命老区
HOUSEHOLD_CATEGORIES = ("dibao", "low_income", "expense_poverty", "disabled_jobless",
                        "destitute", "entitled", "elderly_alone")


def _known(column: str, values) -> sa.CheckConstraint:
    return sa.CheckConstraint(sa.column(column).in_(values), name=f"known_{column}")


class StreetLiaison(db.Model):
    """A staff member who speaks for one street/town (may ask for its sub-fund's money)."""

    __tablename__ = "street_liaisons"
    __table_args__ = (sa.UniqueConstraint("user_id", "street_code", name="one_per_street"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: The street/town code of ``campaigns/data/pudong-streets-towns.csv`` (fund "SF-<code>").
    street_code: Mapped[str] = mapped_column(sa.String(12))


class Disbursement(db.Model):
    """A liaison's request for money from a sub-fund; finance decides (see ``state``)."""

    __tablename__ = "disbursements"
    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="positive_amount"),
                      _known("status", state.DISBURSEMENT_STATUSES))

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_code: Mapped[str] = mapped_column(sa.String(40), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    #: What it is for, e.g. "1,750 packs at ¥200 per household".
    purpose: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(10), default=state.REQUESTED)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    #: The books' date of the expense entry (set on approval).
    paid_on: Mapped[date | None]
    entry_id: Mapped[int | None]
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PairedRegion(db.Model):
    __tablename__ = "paired_regions"
    __table_args__ = (_known("pairing_type", PAIRING_TYPES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    province: Mapped[str] = mapped_column(sa.String(40))
    #: aid (对口援建) or old_base (革命老区).
    pairing_type: Mapped[str] = mapped_column(sa.String(10))
    #: The restricted goods fund that buys from this region, e.g. "GOODS-LY".
    fund_code: Mapped[str] = mapped_column(sa.String(40))


class Supplier(db.Model):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("paired_regions.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    region: Mapped[PairedRegion] = relationship()


class Good(db.Model):
    """One item of the catalogue, at its current unit price."""

    __tablename__ = "goods"
    __table_args__ = (sa.CheckConstraint("unit_price_fen > 0", name="positive_price"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(80), default="")
    #: 袋, 桶, kg … as printed on the packing list.
    unit: Mapped[str] = mapped_column(sa.String(20))
    unit_price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: The region it comes from.
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("paired_regions.id"))
    region: Mapped[PairedRegion] = relationship()

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_zh


class PackRecipe(db.Model):
    """A gift pack (年货大礼包): items × quantities; its cost is what one delivery expenses."""

    __tablename__ = "pack_recipes"
    __table_args__ = (sa.CheckConstraint("pack_cost_fen > 0", name="positive_cost"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    #: The goods fund whose inventory the packs come out of.
    fund_code: Mapped[str] = mapped_column(sa.String(40))
    #: Σ quantity × unit price of the items, fixed when the recipe is made.
    pack_cost_fen: Mapped[int] = mapped_column(sa.BigInteger)
    items: Mapped[list["PackItem"]] = relationship(cascade="all, delete-orphan")


class PackItem(db.Model):
    __tablename__ = "pack_items"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="positive_quantity"),
                      sa.UniqueConstraint("recipe_id", "good_id", name="one_per_good"))

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(sa.ForeignKey("pack_recipes.id"))
    good_id: Mapped[int] = mapped_column(sa.ForeignKey("goods.id"))
    quantity: Mapped[int]
    good: Mapped[Good] = relationship()


class PurchaseOrder(db.Model):
    __tablename__ = "purchase_orders"
    __table_args__ = (_known("status", state.PURCHASE_STATUSES),
                      sa.CheckConstraint("paid_fen >= 0 AND paid_fen <= received_fen",
                                         name="paid_within_received"))

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    fund_code: Mapped[str] = mapped_column(sa.String(40))
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    status: Mapped[str] = mapped_column(sa.String(16), default=state.DRAFT)
    drafted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Value of the goods received so far, and how much of it has been paid.
    received_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    supplier: Mapped[Supplier] = relationship()
    lines: Mapped[list["PurchaseLine"]] = relationship(order_by="PurchaseLine.id",
                                                       cascade="all, delete-orphan")

    @property
    def total_fen(self) -> int:
        return sum(line.quantity * line.unit_price_fen for line in self.lines)


class PurchaseLine(db.Model):
    __tablename__ = "purchase_lines"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="positive_quantity"),
                      sa.CheckConstraint("unit_price_fen > 0", name="positive_price"),
                      sa.CheckConstraint("received_qty >= 0 AND received_qty <= quantity",
                                         name="received_within_ordered"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_orders.id"), index=True)
    good_id: Mapped[int] = mapped_column(sa.ForeignKey("goods.id"))
    quantity: Mapped[int]
    unit_price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    received_qty: Mapped[int] = mapped_column(default=0)
    good: Mapped[Good] = relationship()


class GoodsReceipt(db.Model):
    """One delivery of goods against a PO line, with its lot number."""

    __tablename__ = "goods_receipts"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="positive_quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_lines.id"), index=True)
    quantity: Mapped[int]
    lot_number: Mapped[str] = mapped_column(sa.String(40), default="")
    received_on: Mapped[date]
    entry_id: Mapped[int | None]
    line: Mapped[PurchaseLine] = relationship()


class SupplierPayment(db.Model):
    __tablename__ = "supplier_payments"
    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="positive_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_orders.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    paid_on: Mapped[date]
    entry_id: Mapped[int | None]


class Household(db.Model):
    """A registered family in hardship. Staff-only; the ID number is hashed and encrypted."""

    __tablename__ = "households"
    __table_args__ = (_known("category", HOUSEHOLD_CATEGORIES),
                      sa.CheckConstraint("members >= 1", name="has_members"))

    id: Mapped[int] = mapped_column(primary_key=True)
    street_code: Mapped[str] = mapped_column(sa.String(12), index=True)
    #: The neighbourhood (居委) or village (村委) committee.
    committee: Mapped[str] = mapped_column(sa.String(80), default="")
    category: Mapped[str] = mapped_column(sa.String(20))
    head_name: Mapped[str] = mapped_column(sa.String(60))
    #: HMAC-SHA256 of the ID number (``pii``): the dedupe key, unique.
    id_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Fernet ciphertext of the ID number, and of the phone number.
    id_encrypted: Mapped[str] = mapped_column(sa.Text)
    #: ``310115********1234``, what pages show.
    id_masked: Mapped[str] = mapped_column(sa.String(18))
    phone_encrypted: Mapped[str] = mapped_column(sa.Text, default="")
    members: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HouseholdImport(db.Model):
    """An uploaded household file between preview and import (rows encrypted at rest)."""

    __tablename__ = "household_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Fernet ciphertext of the parsed rows (JSON).
    payload: Mapped[str] = mapped_column(sa.Text)
    #: Set when imported; an import is used once.
    imported_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Distribution(db.Model):
    """One pack assigned to one household in one drive; delivered once, at most."""

    __tablename__ = "distributions"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "household_id", name="one_pack_per_drive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"))
    recipe_id: Mapped[int] = mapped_column(sa.ForeignKey("pack_recipes.id"))
    delivered_on: Mapped[date | None]
    delivered_by: Mapped[str] = mapped_column(sa.String(80), default="")
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    #: The inventory → program expense entry of the delivery.
    entry_id: Mapped[int | None]
    household: Mapped[Household] = relationship()
    recipe: Mapped[PackRecipe] = relationship()
