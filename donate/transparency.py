"""Public pages of issue #5: where a campaign's money went (善款去向, aggregates only — no
household ever appears), and the trace of one gift by receipt number and verification code,
under the FIFO-within-the-fund rule of :mod:`campaigns.homes.reports`."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, make_response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from campaigns import state
from campaigns.homes import reports
from campaigns.homes.households import streets
from campaigns.homes.sankey import Node, flow_svg
from campaigns.models import Campaign, Designation
from core.access import PUBLIC, guard_blueprint
from core.cache import private_page, shared_page
from core.extensions import db
from core.i18n import money
from donate import receipts
from donate.forms import VerifyReceiptForm
from donate.models import COUNTED_STATUSES, Donation
from donate.progress import public_progress
from ledger import chart
from ledger.balances import account_balance, fund_net_assets

bp = Blueprint("transparency", __name__)
guard_blueprint(bp, PUBLIC)


@dataclass(frozen=True)
class FundFlow:
    fund_code: str
    label: str
    kind: str
    #: Given to this fund through this campaign (net of refunds).
    raised_fen: int
    #: Fund-wide, from the ledger: spent as program expense, goods in stock, still held.
    spent_fen: int
    in_stock_fen: int
    unspent_fen: int


def raised_by_fund(session, campaign: Campaign) -> dict[str, int]:
    """Counted gifts of ``campaign`` per designated fund, net of refunds."""
    rows = session.execute(
        sa.select(Designation.fund_code, sa.func.sum(Donation.amount_fen - Donation.refunded_fen))
        .join(Designation, Designation.id == Donation.designation_id)
        .where(Donation.campaign_id == campaign.id, Donation.status.in_(COUNTED_STATUSES),
               Donation.currency == campaign.currency)
        .group_by(Designation.fund_code))
    return {code: int(total or 0) for code, total in rows}


def fund_flows(session, campaign: Campaign, locale: str) -> list[FundFlow]:
    raised = raised_by_fund(session, campaign)
    return [FundFlow(
        fund_code=d.fund_code, label=d.label(locale), kind=d.kind, raised_fen=raised.get(d.fund_code, 0),
        spent_fen=account_balance(session, chart.PROGRAM_EXPENSE, d.fund_code),
        in_stock_fen=account_balance(session, chart.INVENTORY, d.fund_code),
        unspent_fen=fund_net_assets(session, d.fund_code)) for d in campaign.designations]


def chart_links(flows: list[FundFlow]) -> list[tuple[str, str, int]]:
    """Raised → fund → outcome; a fund's spending counts for this campaign up to what it gave."""
    links = []
    for f in flows:
        spent = min(f.raised_fen, max(0, f.spent_fen))
        stock = min(f.raised_fen - spent, max(0, f.in_stock_fen))
        outcome = "packs" if f.kind == "goods" else "disbursed"
        links += [("raised", f.fund_code, f.raised_fen), (f.fund_code, outcome, spent),
                  (f.fund_code, "stock", stock), (f.fund_code, "unspent", f.raised_fen - spent - stock)]
    return links


def _chart(flows: list[FundFlow]):
    nodes = [Node("raised", 0, _("Raised"))] + [Node(f.fund_code, 1, f.label) for f in flows] + [
        Node("disbursed", 2, _("Disbursed by streets/towns")), Node("packs", 2, _("Gift packs delivered")),
        Node("stock", 2, _("Goods in stock")), Node("unspent", 2, _("Not yet spent"))]
    return flow_svg(nodes, chart_links(flows), _("Where the money went"), money)


def _public_campaign_or_404(slug: str) -> Campaign:
    campaign = db.session.scalar(sa.select(Campaign).where(
        Campaign.slug == slug, Campaign.status.in_(state.PUBLIC_STATUSES)))
    return campaign or abort(404)


def _render_where(slug: str, **context) -> str:
    campaign, locale = _public_campaign_or_404(slug), str(get_locale())
    flows = fund_flows(db.session, campaign, locale)
    goods_funds = [f.fund_code for f in flows if f.kind == "goods"]
    deliveries = reports.deliveries_by_street(db.session, campaign.id)
    return render_template(
        "transparency/where.html", campaign=campaign, locale=locale, flows=flows,
        progress=public_progress(db.session, [campaign])[campaign.id], chart=_chart(flows),
        goods=reports.goods_by_supplier(db.session, goods_funds), deliveries=deliveries,
        streets=streets(), packs=sum(d["packs"] for d in deliveries), **context)


@bp.route("/c/<slug>/where-the-money-went")
def where_the_money_went(slug: str):
    # Aggregates only, like the campaign page: kept and shared the same way (core/cache.py).
    return private_page(make_response(shared_page(lambda **context: _render_where(slug, **context))))


def _packs_text(parts) -> str:
    """Σ gift fen / pack cost as a short decimal: 0.5, 1, 2.25."""
    total = sum((Fraction(fen, cost) for fen, cost in parts), Fraction(0))
    value = (Decimal(total.numerator) / Decimal(total.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return format(value.normalize(), "f")


def trace_gift(session, donation: Donation) -> dict:
    """Where ``donation`` went under the FIFO rule: pieces, and what is still held."""
    fund = donation.designation.fund_code
    earlier = sa.func.coalesce(sa.func.sum(Donation.amount_fen - Donation.refunded_fen), 0)
    start = int(session.scalar(
        sa.select(earlier).join(Designation, Designation.id == Donation.designation_id)
        .where(Designation.fund_code == fund, Donation.status.in_(COUNTED_STATUSES),
               sa.tuple_(Donation.succeeded_at, Donation.id) < (donation.succeeded_at, donation.id))))
    pieces = reports.attribute(start, donation.net_fen, reports.fund_spends(session, fund))
    for piece in pieces:
        piece.packs_text = _packs_text(piece.packs_fen) if piece.kind == "pack" else ""
    held = donation.net_fen - sum(p.amount_fen for p in pieces)
    return {"fund": fund, "pieces": pieces, "held_fen": held}


@bp.route("/trace")
def trace():
    form, found = VerifyReceiptForm(request.args), None
    number = (form.number.data or "").strip()
    asked = bool(number or form.code.data)
    if asked and form.validate() and receipts.check_receipt_code(
            current_app.config["SECRET_KEY"], number, form.code.data):
        found = db.session.scalar(sa.select(Donation).filter_by(receipt_number=number))
    if asked and found is None:
        form.code.errors = [_("This receipt number and verification code do not match any receipt.")]
    return render_template("transparency/trace.html", form=form, donation=found, streets=streets(),
                           result=trace_gift(db.session, found) if found else None,
                           locale=str(get_locale())), (404 if asked and not found else 200)
