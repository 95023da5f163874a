"""Purchase orders from paired-region suppliers: draft → approved (by finance, not the
drafter) → received (in parts, with lot numbers) → paid. Receiving posts inventory against
the supplier payable in the region's goods fund; paying posts the payable against the bank.
An order is never paid for more than has been received (checked here and by the database)."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns.homes import books, state
from campaigns.homes.goods import parse_price, parse_quantity
from campaigns.homes.models import (Good, GoodsReceipt, PurchaseLine, PurchaseOrder, Supplier,
                                    SupplierPayment)
from campaigns.homes.state import HomesError
from core.auth import User
from ledger.money import format_plain


def create_order(session, supplier: Supplier, lines, user: User) -> PurchaseOrder:
    """A draft order; ``lines`` are ``(good, quantity, unit_price_fen)``."""
    lines = list(lines)
    if not lines:
        raise HomesError(_l("An order needs at least one line."), "lines")
    for good, qty, price in lines:
        if qty <= 0:
            raise HomesError(_l("A quantity is a whole number of at least 1."), "lines")
        if price <= 0:
            raise HomesError(_l("The price must be more than zero."), "lines")
        if good.region_id != supplier.region_id:
            raise HomesError(_l("%(good)s does not come from this supplier's region.",
                                good=good.name_zh), "lines")
    order = PurchaseOrder(supplier_id=supplier.id, fund_code=supplier.region.fund_code,
                          drafted_by_id=user.id,
                          lines=[PurchaseLine(good_id=g.id, quantity=q, unit_price_fen=p)
                                 for g, q, p in lines])
    session.add(order)
    session.flush()
    return order


def approve_order(session, order: PurchaseOrder, user: User) -> PurchaseOrder:
    target = state.check_transition(state.PURCHASE_TRANSITIONS, order.status, "approve")
    if order.drafted_by_id == user.id:
        raise HomesError(_l("You drafted this order, so someone else in finance must approve it."))
    order.status, order.approved_by_id = target, user.id
    session.flush()
    return order


def receive_goods(session, order: PurchaseOrder, received, day) -> list[GoodsReceipt]:
    """Record ``received`` — ``[(line, quantity, lot_number), …]`` — and post each receipt."""
    state.check_transition(state.PURCHASE_TRANSITIONS, order.status, "receive")
    received = [(line, qty, (lot or "").strip()[:40]) for line, qty, lot in received if qty]
    if not received:
        raise HomesError(_l("Enter the quantity received on at least one line."), "lines")
    out = []
    for line, qty, lot in received:
        if line.order_id != order.id:
            raise HomesError(_l("That line belongs to another order."), "lines")
        if qty < 0 or line.received_qty + qty > line.quantity:
            raise HomesError(_l("Line %(good)s: %(left)d still due; cannot receive %(qty)d.",
                                good=line.good.name_zh, left=line.quantity - line.received_qty,
                                qty=qty), "lines")
        line.received_qty += qty
        receipt = GoodsReceipt(line_id=line.id, quantity=qty, lot_number=lot, received_on=day)
        session.add(receipt)
        session.flush()
        receipt.entry_id = books.post_dated(session, books.receipt_draft(
            receipt, order, qty * line.unit_price_fen)).id
        order.received_fen += qty * line.unit_price_fen
        out.append(receipt)
    done = all(line.received_qty == line.quantity for line in order.lines)
    order.status = state.RECEIVED if done else state.PARTLY_RECEIVED
    session.flush()
    return out


def pay_order(session, order: PurchaseOrder, amount_fen: int, user: User, day) -> SupplierPayment:
    """Pay the supplier ``amount_fen`` against goods already received."""
    state.check_transition(state.PURCHASE_TRANSITIONS, order.status, "pay")
    due = order.received_fen - order.paid_fen
    if amount_fen <= 0:
        raise HomesError(_l("The amount must be more than zero."), "amount")
    if amount_fen > due:
        raise HomesError(_l("Only %(due)s yuan of received goods is unpaid on this order; it "
                            "cannot be paid for more than was received.",
                            due=format_plain(due, order.currency)), "amount")
    payment = SupplierPayment(order_id=order.id, amount_fen=amount_fen, paid_on=day)
    session.add(payment)
    session.flush()
    payment.entry_id = books.post_dated(session, books.payment_draft(payment, order, user.email)).id
    order.paid_fen += amount_fen
    if order.status == state.RECEIVED and order.paid_fen == order.total_fen:
        order.status = state.PAID
    session.flush()
    return payment


def list_orders(session) -> list[PurchaseOrder]:
    return list(session.scalars(sa.select(PurchaseOrder).order_by(PurchaseOrder.id.desc())))


def parse_order_lines(session, text: str) -> list:
    """``[(good, quantity, unit_price_fen)]`` from lines like ``1, 400, 30`` (goods number,
    quantity, unit price in yuan); HomesError naming the first bad line."""
    out = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.replace("，", ",").split(",")]
        good = session.get(Good, int(parts[0])) if len(parts) == 3 and parts[0].isdigit() else None
        if good is None:
            raise HomesError(_l("Line %(n)d: write goods number, quantity, unit price.", n=n), "lines")
        try:
            out.append((good, parse_quantity(parts[1]), parse_price(parts[2])))
        except HomesError as err:
            raise HomesError(_l("Line %(n)d: %(reason)s", n=n, reason=err.message), "lines") from None
    return out
