"""The whole of issue #5 in one story: gifts with each designation → a Linyi purchase order
received and paid → gift packs → a household list imported (duplicates removed) → deliveries
→ a sub-fund disbursement; then homes helped, where the money went, a traced gift and the
ledger's own check give exact figures. Household ID numbers never reach a public page or a log."""
import logging
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from campaigns.homes import distribution, households, purchasing, subfunds
from campaigns.homes.models import Household
from core.extensions import db
from donate import receipts
from donate.models import Donation
from ledger import chart
from ledger.balances import account_balance, fund_net_assets
from ledger.verify import verify_ledger
from tests.homes.homes_support import csv_rows, fake_id


def _gift(campaign, fund_code, fen, when, ref):
    from donate.services import book_donation_succeeded

    donation = Donation(campaign=campaign, designation=campaign.designation_for(fund_code),
                        source_ref=ref, channel="bank_transfer", amount_fen=fen, currency="CNY",
                        donor_name="张伟", email=f"{ref}@example.org")
    db.session.add(donation)
    db.session.flush()
    book_donation_succeeded(db.session, donation, when=when)
    db.session.commit()
    return donation


@pytest.fixture
def story(app, linyi, people, keys, caplog):
    from campaigns.demo import seed_campaigns
    from campaigns.services import campaign_by_slug

    caplog.set_level(logging.DEBUG)
    seed_campaigns(db.session)
    drive = campaign_by_slug(db.session, "wanren-juan")
    gifts = {
        "pack300": _gift(drive, "GOODS-LY", 30_000, datetime(2024, 1, 2, 2), "s1"),
        "pack100": _gift(drive, "GOODS-LY", 10_000, datetime(2024, 1, 3, 2), "s2"),
        "huinan": _gift(drive, "SF-HN", 500_000, datetime(2024, 1, 3, 3), "s3"),
        "general": _gift(drive, drive.designations[0].fund_code, 5_000, datetime(2024, 1, 4, 2), "s4"),
    }
    order = purchasing.create_order(db.session, linyi["supplier"], [
        (linyi["millet"], 8, 3_000), (linyi["oil"], 2, 8_000)], people["liaison"])
    purchasing.approve_order(db.session, order, people["finance"])
    purchasing.receive_goods(db.session, order, [(order.lines[0], 8, "LY-01"), (order.lines[1], 2, "OIL-01")],
                             date(2024, 1, 10))
    purchasing.pay_order(db.session, order, 40_000, people["finance"], date(2024, 1, 12))
    upload = households.preview_import(db.session, keys, csv_rows(
        ("HN", "城南居委", "低保", "测试户001", fake_id(1), "13800000001", 3),
        ("惠南镇", "城东居委", "独居老人", "测试户002", fake_id(2), "13800000002", 1),
        ("HN", "城南居委", "低保", "测试户001", fake_id(1), "13800000001", 3)).encode("gbk"),
        "list.csv", people["liaison"].id)
    assert households.confirm_import(db.session, keys, upload, good_rows_only=True) == 2
    distribution.assign_packs(db.session, drive.id, linyi["recipe"],
                              households.list_households(db.session, "HN"))
    for dist in distribution.distribution_list(db.session, drive.id):
        distribution.confirm_delivery(db.session, dist, date(2024, 1, 18), "王社工")
    d = subfunds.request_disbursement(db.session, subfunds.subfund_or_none(db.session, "SF-HN"),
                                      350_000, "1,750 packs at ¥200 per household", people["liaison"])
    subfunds.approve_disbursement(db.session, d, people["finance"])
    db.session.commit()
    return {"drive": drive, "gifts": gifts}


def test_the_books_and_homes_helped(story):
    from donate.progress import campaign_progress

    progress = campaign_progress(db.session, story["drive"])
    assert (progress.raised_fen, progress.donors, progress.homes_helped) == (545_000, 4, 2)
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 2
    assert account_balance(db.session, chart.PROGRAM_EXPENSE, "GOODS-LY") == 40_000
    assert account_balance(db.session, chart.INVENTORY, "GOODS-LY") == 0
    assert account_balance(db.session, chart.SUPPLIER_PAYABLE, "GOODS-LY") == 0
    assert fund_net_assets(db.session, "GOODS-LY") == 0
    assert fund_net_assets(db.session, "SF-HN") == 150_000
    assert verify_ledger(db.session) == []


def test_where_the_money_went(story, client):
    page = client.get("/c/wanren-juan/where-the-money-went?lang=en").get_data(as_text=True)
    assert 'data-raised="545000"' in page and 'data-packs="2"' in page and 'data-homes="2"' in page
    assert 'data-fund="GOODS-LY" data-raised="40000" data-spent="40000" data-unspent="0"' in page
    assert 'data-fund="SF-HN" data-raised="500000" data-spent="350000" data-unspent="150000"' in page
    assert 'data-supplier="临沂沂蒙农产品合作社" data-value="40000"' in page
    assert 'data-street="HN" data-packs="2" data-homes="2"' in page and "Huinan Town" in page
    assert "<svg" in page and "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "测试户001" not in page and fake_id(1)[-4:] + "<" not in page


def _trace(client, donation):
    code = receipts.receipt_code("test-secret", donation.receipt_number)
    return client.get(f"/trace?lang=en&number={donation.receipt_number}&code={code}").get_data(as_text=True)


def test_trace_attributes_first_in_first_out(story, client):
    first = _trace(client, story["gifts"]["pack300"])
    assert 'data-kind="pack" data-amount="30000" data-packs="1.5" data-street="HN" data-day="2024-01-18"' in first
    second = _trace(client, story["gifts"]["pack100"])
    assert 'data-kind="pack" data-amount="10000" data-packs="0.5"' in second
    assert "became 0.5 of a gift pack, delivered in Huinan Town on January 18, 2024" in second
    huinan = _trace(client, story["gifts"]["huinan"])
    assert 'data-kind="disbursement" data-amount="350000"' in huinan
    assert 'data-kind="held" data-amount="150000"' in huinan
    general = _trace(client, story["gifts"]["general"])
    assert 'data-kind="held" data-amount="5000"' in general
    assert "first in, first out" in general


def test_a_wrong_code_traces_nothing(story, client):
    number = story["gifts"]["pack300"].receipt_number
    resp = client.get(f"/trace?lang=en&number={number}&code=AAAAAAAA")
    assert resp.status_code == 404 and "do not match any receipt" in resp.get_data(as_text=True)


def test_no_id_number_in_public_pages_or_logs(story, client, caplog, login):
    public = [client.get(url).get_data(as_text=True) for url in (
        "/c/wanren-juan/where-the-money-went", "/c/wanren-juan", "/", "/trace")]
    login("staff", "viewer@example.org")
    staff = client.get("/staff/homes/households").get_data(as_text=True)
    for n in (1, 2):
        assert all(fake_id(n) not in page for page in public + [staff])
        assert fake_id(n) not in caplog.text
        assert "13800000001" not in caplog.text
    assert fake_id(1)[:6] + "********" + fake_id(1)[-4:] in staff


def test_the_flow_chart_scales_bands_to_amounts():
    from campaigns.homes.sankey import Node, flow_svg

    svg = str(flow_svg([Node("a", 0, "Raised"), Node("f", 1, "Fund <x>"), Node("o", 2, "Spent")],
                       [("a", "f", 400), ("f", "o", 100)], "chart"))
    assert svg.count("<path") == 2 and svg.count("<rect") == 3
    assert 'stroke-width="400.0"' in svg and 'stroke-width="100.0"' in svg
    assert "Fund &lt;x&gt; · 400" in svg and "style=" not in svg
