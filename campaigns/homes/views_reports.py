"""Staff reports of issue #5 (coverage 不遗漏, inventory by item and lot, purchases per
supplier), each table also as CSV (``?format=csv&table=…``), and the forms that make a
gift-pack recipe and name a street liaison."""
import csv
import io
import re

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from campaigns.homes import goods, households, reports, subfunds
from campaigns.homes.blueprint import bp, refused
from campaigns.homes.forms import LiaisonForm, RecipeForm
from campaigns.homes.models import Good
from campaigns.homes.state import HomesError
from campaigns.models import Campaign
from core.access import FINANCE, STAFF
from core.auth import User
from core.extensions import db
from ledger.money import format_plain


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _cell(value):
    """Text typed by staff (a supplier, a lot number) that a spreadsheet would read as a formula
    is prefixed with an apostrophe; numbers are left alone."""
    risky = isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r")
    if risky and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv(filename: str, header: list, rows) -> Response:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese names correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows([header, *([_cell(v) for v in row] for row in rows)])
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _wants_csv() -> bool:
    return request.args.get("format") == "csv"


def _yuan(fen: int) -> str:
    return format_plain(fen, "CNY")


def _drives() -> list[Campaign]:
    return list(db.session.scalars(sa.select(Campaign).where(Campaign.kind == "pooled").order_by(Campaign.id)))


def _drive(drives: list[Campaign]) -> Campaign | None:
    """The drive of ``?campaign=<id>`` (404 if unknown), else the first live pooled drive."""
    raw = request.args.get("campaign", "").strip()
    if raw:
        found = next((c for c in drives if raw.isdigit() and c.id == int(raw)), None)
        return found or abort(404)
    return next((c for c in drives if c.status == "live"), None)


@bp.route("/reports")
def reports_index():
    return render_template("homes/reports.html")


def _coverage_csv(data: dict, table: str, drive: Campaign):
    if table not in ("street", "category"):
        abort(404)
    rows = data["by_street"] if table == "street" else data["by_category"]
    return _csv(f"coverage-{drive.id}-{table}.csv", [table, "registered", "served", "missing"],
                [[r["key"], r["registered"], r["served"], r["missing"]] for r in rows])


@bp.route("/reports/coverage")
def report_coverage():
    drives = _drives()
    drive = _drive(drives)
    data = reports.coverage(db.session, drive.id) if drive else None
    if _wants_csv():
        return _coverage_csv(data, request.args.get("table", "street"), drive) if drive else abort(404)
    return render_template("homes/reports_coverage.html", drives=drives, drive=drive, data=data,
                           streets=households.streets(), labels=households.CATEGORY_LABELS)


@bp.route("/reports/inventory")
def report_inventory():
    data = reports.inventory(db.session)
    if not _wants_csv():
        return render_template("homes/reports_inventory.html", data=data)
    if request.args.get("table", "items") == "lots":
        return _csv("inventory-lots.csv", ["good_id", "item", "unit", "lot", "received"],
                    [[r["good"].id, r["good"].name_zh, r["good"].unit, r["lot"], r["received"]]
                     for r in data["lots"]])
    if request.args.get("table", "items") != "items":
        abort(404)
    return _csv("inventory-items.csv", ["good_id", "item", "unit", "received", "packs_delivered",
                                        "delivered", "on_hand"],
                [[r["good"].id, r["good"].name_zh, r["good"].unit, r["received"], r["packs"],
                  r["delivered"], r["on_hand"]] for r in data["items"]])


@bp.route("/reports/purchases")
def report_purchases():
    rows = reports.purchases_by_supplier(db.session)
    if not _wants_csv():
        return render_template("homes/reports_purchases.html", rows=rows)
    return _csv("purchases-by-supplier.csv",
                ["supplier", "region", "orders", "ordered_yuan", "received_yuan", "paid_yuan", "unpaid_yuan"],
                [[r["supplier"], r["region"], r["orders"], *(_yuan(r[k]) for k in (
                    "ordered_fen", "received_fen", "paid_fen", "unpaid_fen"))] for r in rows])


# -- gift-pack recipes and street liaisons ------------------------------------------------------

def recipe_items(text: str) -> list:
    """``[(good, quantity)]`` from lines like ``1, 4`` (goods number, quantity); HomesError
    naming the first bad line."""
    out = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.replace("，", ",").split(",")]
        good = db.session.get(Good, int(parts[0])) if len(parts) == 2 and parts[0].isdigit() else None
        if good is None:
            raise HomesError(_l("Line %(n)d: write the number of a listed item and a quantity.", n=n), "items")
        try:
            out.append((good, goods.parse_quantity(parts[1])))
        except HomesError as err:
            raise HomesError(_l("Line %(n)d: %(reason)s", n=n, reason=err.message), "items") from None
    return out


def _recipe_form() -> RecipeForm:
    form = RecipeForm()
    form.fund_code.choices = [SelectChoice(f.code, f.name_zh) for f in goods.goods_funds(db.session)]
    return form


def _render_recipe(form: RecipeForm, code: int = 200):
    return render_template("homes/recipe_form.html", form=form,
                           goods=goods.catalogue(db.session)["goods"]), code


@bp.route("/recipes/new", methods=["GET", "POST"])
def new_recipe():
    form = _recipe_form()
    if not form.validate_on_submit():
        return _render_recipe(form, 400 if request.method == "POST" else 200)
    try:
        goods.create_recipe(db.session, form.name.data, form.fund_code.data, recipe_items(form.items.data))
    except HomesError as err:
        refused(err, form)
        return _render_recipe(form, 400)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".goods_index"))


def _liaison_target(form: LiaisonForm):
    """(user, street code), with field errors added for an unknown user or street."""
    email = (form.email.data or "").strip().lower()
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email)) if email else None
    code = households.street_code(form.street.data or "")
    if email and user is None:
        form.email.errors = list(form.email.errors) + [_("No user has this email address.")]
    elif user is not None and not user.has_any_role((STAFF, FINANCE)):
        form.email.errors = list(form.email.errors) + [_("A liaison must be a staff or finance user.")]
        user = None
    if form.street.data and code is None:
        form.street.errors = list(form.street.errors) + [_("Unknown street/town.")]
    return user, code


@bp.route("/liaisons/new", methods=["GET", "POST"])
def new_liaison():
    form = LiaisonForm()
    if request.method == "GET":
        return render_template("homes/liaison_form.html", form=form, streets=households.streets())
    valid = form.validate_on_submit()
    user, code = _liaison_target(form)
    if not valid or user is None or code is None:
        return render_template("homes/liaison_form.html", form=form, streets=households.streets()), 400
    subfunds.add_liaison(db.session, user, code)
    db.session.commit()
    flash(_("%(email)s is now a liaison of %(street)s.", email=user.email, street=code), "success")
    return redirect(url_for(".index"))
