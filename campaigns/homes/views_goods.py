"""Staff pages of issue #5: the goods catalogue, purchase orders, distribution and delivery."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from campaigns.homes import distribution, goods, households, purchasing, state
from campaigns.homes.blueprint import bp, form_invalid, refused
from campaigns.homes.forms import (AssignForm, DecisionForm, DeliveryForm, GoodForm, OrderForm, PayForm,
                                   ReceiveForm, RegionForm, SupplierForm)
from campaigns.homes.models import Distribution, PackRecipe, PairedRegion, PurchaseOrder, Supplier
from campaigns.homes.state import HomesError
from campaigns.models import Campaign
from core.access import FINANCE, requires
from core.extensions import db


def _recipe_choices() -> list:
    return [SelectChoice(r.id, r.name) for r in goods.catalogue(db.session)["recipes"]]


def _forms(**given) -> dict:
    cat = goods.catalogue(db.session)
    regions = [SelectChoice(r.id, f"{r.name} · {r.province}") for r in cat["regions"]]
    forms = {"region": RegionForm(), "supplier": SupplierForm(), "good": GoodForm(), "order": OrderForm()}
    forms.update(given)
    forms["region"].fund_code.choices = [SelectChoice(f.code, f.name_zh) for f in goods.goods_funds(db.session)]
    forms["supplier"].region_id.choices = forms["good"].region_id.choices = regions
    forms["order"].supplier_id.choices = [SelectChoice(s.id, s.name) for s in cat["suppliers"]]
    return {"forms": forms, **cat}


def _render_goods(code: int = 200, **given):
    return render_template("homes/goods.html", orders=purchasing.list_orders(db.session),
                           pairing_labels=goods.PAIRING_LABELS, status_labels=state.STATUS_LABELS,
                           **_forms(**given)), code


@bp.route("/goods")
def goods_index():
    return _render_goods()


def _add(name: str, form, create):
    """Validate ``form`` (already given its choices), call ``create``, commit once."""
    context = _forms(**{name: form})
    if not form.validate_on_submit():
        return _render_goods(400, **context["forms"])
    try:
        create(form)
    except HomesError as err:
        refused(err, form)
        return _render_goods(400, **context["forms"])
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".goods_index"))


@bp.route("/goods/regions", methods=["POST"])
def add_region():
    return _add("region", RegionForm(), lambda f: goods.create_region(
        db.session, f.name.data, f.province.data, f.pairing_type.data, f.fund_code.data))


@bp.route("/goods/suppliers", methods=["POST"])
def add_supplier():
    return _add("supplier", SupplierForm(), lambda f: goods.create_supplier(
        db.session, db.session.get(PairedRegion, f.region_id.data), f.name.data))


@bp.route("/goods/items", methods=["POST"])
def add_good():
    return _add("good", GoodForm(), lambda f: goods.create_good(
        db.session, db.session.get(PairedRegion, f.region_id.data), name_zh=f.name_zh.data,
        name_en=f.name_en.data, unit=f.unit.data, unit_price_fen=goods.parse_price(f.unit_price.data)))


@bp.route("/orders", methods=["POST"])
def new_order():
    return _add("order", OrderForm(), lambda f: purchasing.create_order(
        db.session, db.session.get(Supplier, f.supplier_id.data),
        purchasing.parse_order_lines(db.session, f.lines.data), current_user))


def _order_or_404(order_id: int) -> PurchaseOrder:
    return db.session.get(PurchaseOrder, order_id) or abort(404)


def _render_order(order, code: int = 200, **forms):
    forms.setdefault("receive", ReceiveForm())
    forms.setdefault("pay", PayForm())
    return render_template("homes/order.html", order=order, status_labels=state.STATUS_LABELS,
                           **forms), code


@bp.route("/orders/<int:order_id>")
def order(order_id: int):
    return _render_order(_order_or_404(order_id))


def _order_action(order_id: int, form, act):
    order = _order_or_404(order_id)
    if not form.validate_on_submit():
        form_invalid(form)  # the page renders fresh forms: say what was wrong
        return _render_order(order, 400)
    try:
        act(order, form)
    except HomesError as err:
        refused(err)
        return _render_order(_order_or_404(order_id), 409)
    db.session.commit()
    flash(_("The order is now %(status)s.", status=state.STATUS_LABELS[order.status]), "success")
    return redirect(url_for(".order", order_id=order_id))


@bp.route("/orders/<int:order_id>/approve", methods=["POST"])
@requires(FINANCE)
def approve_order(order_id: int):
    return _order_action(order_id, DecisionForm(), lambda o, _f: purchasing.approve_order(db.session, o, current_user))


def _received(order) -> list:
    out = []
    for line in order.lines:
        raw = request.form.get(f"qty-{line.id}", "").strip()
        if raw:
            out.append((line, goods.parse_quantity(raw), request.form.get(f"lot-{line.id}", "")))
    return out


@bp.route("/orders/<int:order_id>/receive", methods=["POST"])
def receive_order(order_id: int):
    return _order_action(order_id, ReceiveForm(), lambda o, f: purchasing.receive_goods(
        db.session, o, _received(o), f.received_on.data))


@bp.route("/orders/<int:order_id>/pay", methods=["POST"])
@requires(FINANCE)
def pay_order(order_id: int):
    return _order_action(order_id, PayForm(), lambda o, f: purchasing.pay_order(
        db.session, o, goods.parse_price(f.amount.data, "amount"), current_user, f.paid_on.data))


def _campaign_or_404(campaign_id: int) -> Campaign:
    return db.session.get(Campaign, campaign_id) or abort(404)


def _render_distribution(campaign, code: int = 200, assign=None):
    assign = assign or AssignForm()
    assign.recipe_id.choices = _recipe_choices()
    return render_template(
        "homes/distribution.html", campaign=campaign, assign=assign, deliver=DeliveryForm(),
        rows=distribution.distribution_list(db.session, campaign.id),
        helped=distribution.count_homes_helped(db.session, campaign.id)), code


@bp.route("/campaigns/<int:campaign_id>/distribution")
def distribution_page(campaign_id: int):
    return _render_distribution(_campaign_or_404(campaign_id))


@bp.route("/campaigns/<int:campaign_id>/distribution", methods=["POST"])
def assign_street(campaign_id: int):
    campaign, form = _campaign_or_404(campaign_id), AssignForm()
    form.recipe_id.choices = _recipe_choices()
    valid, code = form.validate_on_submit(), households.street_code(form.street.data or "")
    if code is None:
        form.street.errors = list(form.street.errors) + [_("Unknown street/town.")]
    if not valid or code is None:
        return _render_distribution(campaign, 400, form)
    added = distribution.assign_packs(db.session, campaign.id, db.session.get(PackRecipe, form.recipe_id.data),
                                      households.list_households(db.session, code, limit=100_000))
    db.session.commit()
    flash(_("%(count)d households were added to the list.", count=added), "success")
    return redirect(url_for(".distribution_page", campaign_id=campaign_id))


@bp.route("/distributions/<int:distribution_id>/deliver", methods=["POST"])
def deliver(distribution_id: int):
    dist = db.session.get(Distribution, distribution_id) or abort(404)
    form = DeliveryForm()
    if not form.validate_on_submit():
        form_invalid(form)
        return _render_distribution(_campaign_or_404(dist.campaign_id), 400)
    try:
        distribution.confirm_delivery(db.session, dist, form.delivered_on.data, form.delivered_by.data,
                                      form.note.data)
    except HomesError as err:
        refused(err)
        return _render_distribution(_campaign_or_404(dist.campaign_id), 409)
    db.session.commit()
    flash(_("The delivery was recorded."), "success")
    return redirect(url_for(".distribution_page", campaign_id=dist.campaign_id))
