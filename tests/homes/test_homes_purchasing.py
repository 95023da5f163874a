"""Goods and purchase orders: draft → approved → received in parts → paid, with postings."""
from datetime import date

import pytest
import sqlalchemy as sa

from campaigns.homes import goods, purchasing
from campaigns.homes.models import PurchaseOrder
from campaigns.homes.state import HomesError
from core.extensions import db
from ledger import chart
from ledger.balances import account_balance, fund_net_assets
from ledger.models import JournalEntry
from ledger.verify import verify_ledger


@pytest.fixture
def order(linyi, people):
    po = purchasing.create_order(db.session, linyi["supplier"], [
        (linyi["millet"], 400, 3_000), (linyi["oil"], 100, 8_000)], people["liaison"])
    db.session.commit()
    return po


def test_recipe_cost_is_items_times_prices(linyi):
    assert linyi["recipe"].pack_cost_fen == 4 * 3_000 + 8_000


def test_the_whole_cycle_posts_inventory_payable_and_bank(order, people, linyi, english):
    purchasing.approve_order(db.session, order, people["finance"])
    first, second = order.lines
    purchasing.receive_goods(db.session, order, [(first, 200, "LY-2401")], date(2024, 1, 8))
    assert order.status == "partly_received" and order.received_fen == 600_000
    with pytest.raises(HomesError) as err:
        purchasing.pay_order(db.session, order, 600_001, people["finance"], date(2024, 1, 9))
    assert "6000.00 yuan of received goods" in str(err.value.message)
    purchasing.receive_goods(db.session, order, [(first, 200, "LY-2402"), (second, 100, "OIL-1")],
                             date(2024, 1, 10))
    assert order.status == "received" and order.received_fen == order.total_fen == 2_000_000
    purchasing.pay_order(db.session, order, 2_000_000, people["finance"], date(2024, 1, 12))
    db.session.commit()
    assert order.status == "paid"
    assert account_balance(db.session, chart.INVENTORY, "GOODS-LY") == 2_000_000
    assert account_balance(db.session, chart.SUPPLIER_PAYABLE, "GOODS-LY") == 0
    assert account_balance(db.session, chart.BANK, "GOODS-LY") == -2_000_000
    assert fund_net_assets(db.session, "GOODS-LY") == 0
    assert verify_ledger(db.session) == []


def test_the_drafter_cannot_approve(order, people, english):
    with pytest.raises(HomesError) as err:
        purchasing.approve_order(db.session, order, people["liaison"])
    assert "someone else in finance must approve" in str(err.value.message)
    assert order.status == "draft"


def test_no_receiving_before_approval_and_no_more_than_ordered(order, people, english):
    with pytest.raises(HomesError):
        purchasing.receive_goods(db.session, order, [(order.lines[0], 1, "")], date(2024, 1, 8))
    purchasing.approve_order(db.session, order, people["finance"])
    db.session.commit()
    with pytest.raises(HomesError) as err:
        purchasing.receive_goods(db.session, order, [(order.lines[0], 401, "")], date(2024, 1, 8))
    db.session.rollback()
    assert "400 still due; cannot receive 401" in str(err.value.message)
    assert db.session.scalar(sa.select(sa.func.count(JournalEntry.id))) == 0


def test_cannot_pay_before_receiving(order, people, english):
    purchasing.approve_order(db.session, order, people["finance"])
    with pytest.raises(HomesError) as err:
        purchasing.pay_order(db.session, order, 100, people["finance"], date(2024, 1, 9))
    assert "status Approved" in str(err.value.message)


@pytest.mark.parametrize("text, message", [
    ("12.345", "at most two decimal places"), ("0", "more than zero"),
    ("-5", "more than zero"), ("abc", "like 50 or 12.50")])
def test_bad_prices_are_refused(text, message, english):
    with pytest.raises(HomesError) as err:
        goods.parse_price(text)
    assert message in str(err.value.message)


@pytest.mark.parametrize("text", ["0", "-3", "1.5", ""])
def test_bad_quantities_are_refused(text, english):
    with pytest.raises(HomesError) as err:
        goods.parse_quantity(text)
    assert "whole number of at least 1" in str(err.value.message)


def test_an_order_line_of_zero_writes_nothing(linyi, people, english):
    with pytest.raises(HomesError):
        purchasing.create_order(db.session, linyi["supplier"], [(linyi["millet"], 0, 3_000)],
                                people["liaison"])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(PurchaseOrder.id))) == 0
