"""Public pages: the home page of live drives, a campaign's page, its share QR code and the
progress JSON API. The staff preview of a draft lives here too (staff only), since it is the
public page itself."""
import io

import segno
import sqlalchemy as sa
from flask import Blueprint, Response, abort, jsonify, render_template, url_for
from flask_babel import format_number, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from campaigns import state
from campaigns.models import Campaign
from core.access import PUBLIC, STAFF, guard_blueprint, requires
from core.extensions import db
from donate import models  # noqa: F401 - the tables must exist when the app is built
from donate import progress

bp = Blueprint("donate", __name__)
guard_blueprint(bp, PUBLIC)


def _public_campaign(slug: str) -> Campaign | None:
    """The campaign at ``slug`` if the public may see it (never a draft)."""
    query = sa.select(Campaign).where(Campaign.slug == slug, Campaign.status.in_(state.PUBLIC_STATUSES))
    return db.session.scalar(query)


def share_qr_svg(url: str, title: str) -> Markup:
    """An inline SVG QR code for ``url``; segno writes the markup and escapes the title."""
    # segno builds the SVG from the QR matrix and escapes the title (segno.writers.write_svg).
    return Markup(segno.make(url, error="m").svg_inline(scale=4, title=title))  # nosec B704


def _render_campaign(campaign: Campaign, preview: bool = False):
    locale = str(get_locale())
    url = url_for("donate.campaign", slug=campaign.slug, _external=True)
    return render_template(
        "donate/campaign.html", campaign=campaign, locale=locale, preview=preview,
        progress=progress.campaign_progress(db.session, campaign),
        gifts=progress.recent_gifts(db.session, campaign), wall_name=progress.wall_name,
        qr_svg=share_qr_svg(url, _("Scan to open this page")), share_url=url, format_number=format_number,
    )


def _svg_document(qrcode) -> str:
    out = io.BytesIO()
    qrcode.save(out, kind="svg", scale=8, border=4)
    return out.getvalue().decode("utf-8")


@bp.route("/")
def home():
    live = db.session.scalars(
        sa.select(Campaign).where(Campaign.status == state.LIVE).order_by(Campaign.created_at, Campaign.id)
    ).all()
    return render_template("donate/home.html", campaigns=live, locale=str(get_locale()),
                           progress=progress.progress_by_campaign(db.session, live),
                           format_number=format_number)


@bp.route("/c/<slug>")
def campaign(slug: str):
    return _render_campaign(_public_campaign(slug) or abort(404))


@bp.route("/c/<slug>/preview")
@requires(STAFF)
def preview(slug: str):
    found = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    return _render_campaign(found or abort(404), preview=True)


@bp.route("/c/<slug>/qr.svg")
def qr(slug: str):
    found = _public_campaign(slug) or abort(404)
    url = url_for("donate.campaign", slug=found.slug, _external=True)
    svg = segno.make(url, error="m")
    return Response(_svg_document(svg), mimetype="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@bp.route("/api/v1/campaigns/<slug>")
def campaign_api(slug: str):
    found = _public_campaign(slug)
    if found is None:
        return jsonify(error="not_found", message=_("No such campaign.")), 404
    body = {"slug": found.slug, "kind": found.kind, "status": found.status}
    body.update(progress.campaign_progress(db.session, found).as_dict())
    if found.kind == "wish":
        body["wishes"] = progress.wish_counts(found)
    return jsonify(body)
