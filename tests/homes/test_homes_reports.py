"""Staff reports of issue #5 (coverage, inventory by item and lot, purchases per supplier) with
exact figures, their CSV files, who may read them, and the recipe and liaison forms."""
import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from campaigns.homes import distribution, goods, households, purchasing, reports
from campaigns.homes.households import HouseholdInput
from campaigns.homes.models import PackRecipe, StreetLiaison
from campaigns.models import Campaign
from core.extensions import db
from tests.homes.homes_support import fake_id


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _csv(resp) -> list[list[str]]:
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = resp.get_data()
    assert body.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def story(funds, people, linyi, keys, give):
    """Four households (HN: 2 低保 + 1 独居老人, LJZ: 1 低收入); one order (100 millet, 20 oil)
    approved, 80 millet in two lots and 20 oil received, ¥1,500 paid; a draft order from a
    second supplier; in the year-end drive HN-1 and HN-3 served, HN-2 listed only; in a second
    drive LJZ-1 served."""
    from campaigns.demo import seed_campaigns

    seed_campaigns(db.session)
    drive = db.session.scalar(sa.select(Campaign).where(Campaign.slug == "wanren-juan"))
    other = Campaign(slug="second-drive", kind="pooled", title_zh="第二次", status="draft")
    db.session.add(other)
    made = [households.register_household(db.session, keys, HouseholdInput(
        street=street, committee="", category=cat, head_name=f"测试户{n}", id_number=fake_id(n),
        phone="", members="2")) for n, (street, cat) in enumerate(
            [("HN", "dibao"), ("HN", "dibao"), ("HN", "elderly_alone"), ("LJZ", "low_income")], start=1)]
    millet, oil, supplier = linyi["millet"], linyi["oil"], linyi["supplier"]
    order = purchasing.create_order(db.session, supplier, [(millet, 100, 3_000), (oil, 20, 8_000)],
                                    people["liaison"])
    purchasing.approve_order(db.session, order, people["finance"])
    purchasing.receive_goods(db.session, order, [(order.lines[0], 60, "LY-2401"), (order.lines[1], 20, "OIL-01")],
                             date(2024, 1, 10))
    purchasing.receive_goods(db.session, order, [(order.lines[0], 20, "LY-2402")], date(2024, 1, 12))
    purchasing.pay_order(db.session, order, 150_000, people["finance"], date(2024, 1, 15))
    second = goods.create_supplier(db.session, linyi["region"], "沂南供销社")
    purchasing.create_order(db.session, second, [(millet, 1, 3_000)], people["liaison"])
    db.session.commit()
    give("GOODS-LY", 100_000)
    recipe = linyi["recipe"]
    dists = [distribution.assign_pack(db.session, drive.id, h, recipe) for h in made[:3]]
    for dist in (dists[0], dists[2]):
        distribution.confirm_delivery(db.session, dist, date(2024, 1, 18), "王社工")
    distribution.confirm_delivery(db.session, distribution.assign_pack(db.session, other.id, made[3], recipe),
                                  date(2024, 1, 19), "李社工")
    db.session.commit()
    return {"drive": drive, "other": other, "millet": millet, "oil": oil}


def _rows(rows, *keys):
    return [tuple(r[k] for k in keys) for r in rows]


def test_coverage_counts_registered_and_served_per_street_and_category(story):
    data = reports.coverage(db.session, story["drive"].id)
    cols = ("key", "registered", "served", "missing")
    assert _rows(data["by_street"], *cols) == [("HN", 3, 2, 1), ("LJZ", 1, 0, 1)]
    assert _rows(data["by_category"], *cols) == [("dibao", 2, 1, 1), ("elderly_alone", 1, 1, 0),
                                                 ("low_income", 1, 0, 1)]
    assert data["total"] == {"registered": 4, "served": 2, "missing": 2}
    other = reports.coverage(db.session, story["other"].id)
    assert _rows(other["by_street"], *cols) == [("HN", 3, 0, 3), ("LJZ", 1, 1, 0)]


def test_inventory_is_received_minus_packs_times_quantity(story):
    data = reports.inventory(db.session)
    millet, oil = story["millet"].id, story["oil"].id
    assert [(r["good"].id, r["received"], r["packs"], r["delivered"], r["on_hand"]) for r in data["items"]] == [
        (millet, 80, 3, 12, 68), (oil, 20, 3, 3, 17)]
    assert [(r["good"].id, r["lot"], r["received"]) for r in data["lots"]] == [
        (millet, "LY-2401", 60), (millet, "LY-2402", 20), (oil, "OIL-01", 20)]


def test_purchases_per_supplier_leave_drafts_out(story):
    rows = reports.purchases_by_supplier(db.session)
    assert _rows(rows, "supplier", "orders", "ordered_fen", "received_fen", "paid_fen", "unpaid_fen") == [
        ("临沂沂蒙农产品合作社", 1, 460_000, 400_000, 150_000, 250_000), ("沂南供销社", 0, 0, 0, 0, 0)]


def test_report_pages_and_csv_files(client, login, story):
    login("finance", "reader@example.org")
    page = _text(client.get("/staff/homes/reports/coverage?lang=en"))
    assert f'data-campaign="{story["drive"].id}" data-registered="4" data-served="2" data-missing="2"' in page
    assert 'data-key="HN" data-registered="3" data-served="2" data-missing="1"' in page
    page = _text(client.get(f"/staff/homes/reports/coverage?campaign={story['other'].id}&lang=en"))
    assert 'data-key="LJZ" data-registered="1" data-served="1" data-missing="0"' in page
    assert _csv(client.get("/staff/homes/reports/coverage?format=csv&table=street")) == [
        ["street", "registered", "served", "missing"], ["HN", "3", "2", "1"], ["LJZ", "1", "0", "1"]]
    assert _csv(client.get("/staff/homes/reports/coverage?format=csv&table=category"))[1:] == [
        ["dibao", "2", "1", "1"], ["elderly_alone", "1", "1", "0"], ["low_income", "1", "0", "1"]]
    millet, oil = str(story["millet"].id), str(story["oil"].id)
    assert _csv(client.get("/staff/homes/reports/inventory?format=csv")) == [
        ["good_id", "item", "unit", "received", "packs_delivered", "delivered", "on_hand"],
        [millet, "临沂小米", "袋", "80", "3", "12", "68"], [oil, "花生油", "桶", "20", "3", "3", "17"]]
    assert _csv(client.get("/staff/homes/reports/inventory?format=csv&table=lots"))[1:] == [
        [millet, "临沂小米", "袋", "LY-2401", "60"], [millet, "临沂小米", "袋", "LY-2402", "20"],
        [oil, "花生油", "桶", "OIL-01", "20"]]
    page = _text(client.get("/staff/homes/reports/inventory?lang=en"))
    assert f'data-good="{millet}" data-received="80" data-packs="3" data-delivered="12" data-on-hand="68"' in page
    page = _text(client.get("/staff/homes/reports/purchases?lang=en"))
    assert 'data-orders="1" data-ordered="460000" data-received="400000" data-paid="150000" data-unpaid="250000"' in page
    assert _csv(client.get("/staff/homes/reports/purchases?format=csv")) == [
        ["supplier", "region", "orders", "ordered_yuan", "received_yuan", "paid_yuan", "unpaid_yuan"],
        ["临沂沂蒙农产品合作社", "临沂", "1", "4600.00", "4000.00", "1500.00", "2500.00"],
        ["沂南供销社", "临沂", "0", "0.00", "0.00", "0.00", "0.00"]]


def test_unknown_drive_or_table_is_404(client, login, story):
    login("staff", "reader@example.org")
    assert client.get("/staff/homes/reports/coverage?campaign=9999").status_code == 404
    assert client.get("/staff/homes/reports/coverage?campaign=abc").status_code == 404
    assert client.get("/staff/homes/reports/coverage?format=csv&table=nope").status_code == 404
    assert client.get("/staff/homes/reports/inventory?format=csv&table=nope").status_code == 404
    assert client.get("/staff/homes/reports?lang=en").status_code == 200


def test_reports_with_nothing_yet(client, login, funds):
    login("staff")
    assert "There is no live drive yet." in _text(client.get("/staff/homes/reports/coverage?lang=en"))
    assert _csv(client.get("/staff/homes/reports/purchases?format=csv"))[1:] == []
    assert _csv(client.get("/staff/homes/reports/inventory?format=csv"))[1:] == []


@pytest.mark.parametrize("path", ["/staff/homes/reports", "/staff/homes/reports/coverage",
                                  "/staff/homes/reports/inventory?format=csv", "/staff/homes/reports/purchases",
                                  "/staff/homes/recipes/new", "/staff/homes/liaisons/new"])
def test_anonymous_visitors_are_sent_to_login(client, funds, path):
    resp = client.get(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_an_auditor_may_not_read_them(client, login, funds):
    login("auditor")
    assert client.get("/staff/homes/reports/purchases").status_code == 403


def test_recipe_form_refuses_bad_items_and_saves_a_good_one(client, login, linyi):
    login("staff")
    millet, oil = linyi["millet"].id, linyi["oil"].id
    for items, message in ((f"{millet}, 2\n999, 1", "Line 2: write the number of a listed item and a quantity."),
                           (f"{millet}, 0", "Line 1: A quantity is a whole number of at least 1."),
                           (f"{millet}, 2\n{millet}, 1", "List each item once.")):
        resp = client.post("/staff/homes/recipes/new?lang=en",
                           data={"name": "礼包B", "fund_code": "GOODS-LY", "items": items})
        assert resp.status_code == 400 and message in _text(resp), items
    resp = client.post("/staff/homes/recipes/new?lang=en",
                       data={"name": "礼包B", "fund_code": "NOPE", "items": f"{millet}, 2"})
    assert resp.status_code == 400 and "Not a valid choice" in _text(resp)
    assert db.session.scalar(sa.select(sa.func.count(PackRecipe.id))) == 1
    resp = client.post("/staff/homes/recipes/new?lang=en",
                       data={"name": "礼包B", "fund_code": "GOODS-LY", "items": f"{millet}, 2\n{oil}，3"})
    assert resp.status_code == 302
    recipe = db.session.scalar(sa.select(PackRecipe).where(PackRecipe.name == "礼包B"))
    assert recipe.pack_cost_fen == 2 * 3_000 + 3 * 8_000
    assert sorted((i.good_id, i.quantity) for i in recipe.items) == [(millet, 2), (oil, 3)]
    assert client.get("/staff/homes/recipes/new?lang=en").status_code == 200


def test_liaison_form_refuses_unknown_user_or_street(client, login, funds, make_user):
    login("finance")
    make_user("staff", "new-liaison@example.org")
    make_user("auditor", "auditor@example.org")
    cases = (({"email": "nobody@example.org", "street": "HN"}, "No user has this email address."),
             ({"email": "new-liaison@example.org", "street": "ZZZ"}, "Unknown street/town."),
             ({"email": "auditor@example.org", "street": "HN"}, "A liaison must be a staff or finance user."),
             ({"email": "", "street": "HN"}, "This field is required."))
    for data, message in cases:
        resp = client.post("/staff/homes/liaisons/new?lang=en", data=data)
        assert resp.status_code == 400 and message in _text(resp), data
    assert db.session.scalar(sa.select(sa.func.count(StreetLiaison.id))) == 0
    resp = client.post("/staff/homes/liaisons/new?lang=en", data={"email": "New-Liaison@example.org", "street": "惠南镇"})
    assert resp.status_code == 302
    assert [(x.street_code,) for x in db.session.scalars(sa.select(StreetLiaison))] == [("HN",)]
    assert "new-liaison@example.org is now a liaison of HN." in _text(client.get("/staff/homes/?lang=en"))
    assert client.get("/staff/homes/liaisons/new?lang=en").status_code == 200


def test_csv_cells_that_look_like_formulas_are_defused(client, login, linyi):
    goods.create_supplier(db.session, linyi["region"], "=HYPERLINK(\"http://x\")")
    db.session.commit()
    login("finance")
    rows = _csv(client.get("/staff/homes/reports/purchases?format=csv"))
    assert rows[2][:3] == ["'=HYPERLINK(\"http://x\")", "临沂", "0"]
