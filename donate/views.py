"""Public pages: the home page of live drives, a campaign's page, its share QR code and the
progress JSON API. The staff preview of a draft lives here too (staff only), since it is the
public page itself.

At the giving-day peak these are the pages everybody reloads (issue #9). Their figures come
from :func:`donate.progress.public_progress` and :func:`donate.progress.public_wall`, shared
for ``PUBLIC_CACHE_SECONDS``, and the templates keep their rendered figures as long (the
``{% cache %}`` blocks). The campaigns themselves are kept as long (:func:`_kept`), and an
anonymous visitor's whole page too, with a hole for their CSRF token
(:func:`core.cache.shared_page`): a warm page or JSON asks the database nothing and renders
nothing. The JSON is ``public`` for as long (with an ETag); the pages are ``private``, since
each carries the visitor's own CSRF token and session cookie. The staff preview always
counts afresh.
"""
import io
from functools import lru_cache

import segno
import sqlalchemy as sa
from flask import Blueprint, Response, abort, jsonify, make_response, render_template, url_for
from flask_babel import format_number, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from campaigns import state
from campaigns.models import Campaign
from core.access import PUBLIC, STAFF, guard_blueprint, requires
from core.cache import cached_many, private_page, public_json, shared_page
from core.extensions import db
from donate import models  # noqa: F401 - the tables must exist when the app is built
from donate import progress

bp = Blueprint("donate", __name__)
guard_blueprint(bp, PUBLIC)


def _kept(key: str, load) -> list:
    """The ORM objects ``load()`` returns (None: nothing to keep), reused for
    ``PUBLIC_CACHE_SECONDS`` and merged back into this request's session without a query
    (``load=False``), so that a warm public page asks the database nothing."""
    found = cached_many("orm", [key], lambda keys: {key: load()})[key] or []
    return [o if o in db.session else db.session.merge(o, load=False) for o in found]


def _public_campaign(slug: str) -> Campaign | None:
    """The campaign at ``slug`` if the public may see it (never a draft)."""
    def load():
        return list(db.session.scalars(sa.select(Campaign).where(
            Campaign.slug == slug, Campaign.status.in_(state.PUBLIC_STATUSES)))) or None

    found = _kept(f"campaign:{slug}", load)
    return found[0] if found else None


def _live_campaigns() -> list[Campaign]:
    def load():
        return list(db.session.scalars(sa.select(Campaign).where(Campaign.status == state.LIVE)
                                       .order_by(Campaign.created_at, Campaign.id)))

    return _kept("live", load)


@lru_cache(maxsize=256)
def share_qr_svg(url: str, title: str) -> Markup:
    """An inline SVG QR code for ``url``; segno writes the markup and escapes the title.

    Kept per process: the code of a URL never changes, and drawing it costs more than the
    rest of the page."""
    # segno builds the SVG from the QR matrix and escapes the title (segno.writers.write_svg).
    return Markup(segno.make(url, error="m").svg_inline(scale=4, title=title))  # nosec B704


def _render_campaign(campaign: Campaign, preview: bool = False, **context) -> str:
    locale = str(get_locale())
    url = url_for("donate.campaign", slug=campaign.slug, _external=True)
    if preview:  # staff check a draft: count afresh
        figures, gifts = (progress.campaign_progress(db.session, campaign),
                          progress.recent_gifts(db.session, campaign))
    else:
        figures = progress.public_progress(db.session, [campaign])[campaign.id]
        gifts = progress.public_wall(db.session, campaign)
    return render_template(
        "donate/campaign.html", campaign=campaign, locale=locale, preview=preview,
        progress=figures, gifts=gifts, wall_name=progress.wall_name,
        qr_svg=share_qr_svg(url, _("Scan to open this page")), share_url=url,
        format_number=format_number, **context)


def _svg_document(qrcode) -> str:
    out = io.BytesIO()
    qrcode.save(out, kind="svg", scale=8, border=4)
    return out.getvalue().decode("utf-8")


@bp.route("/")
def home():
    def render(**context):
        live = _live_campaigns()
        return render_template("donate/home.html", campaigns=live, locale=str(get_locale()),
                               progress=progress.public_progress(db.session, live),
                               format_number=format_number, **context)

    return private_page(make_response(shared_page(render)))


@bp.route("/c/<slug>")
def campaign(slug: str):
    def render(**context):
        return _render_campaign(_public_campaign(slug) or abort(404), **context)

    return private_page(make_response(shared_page(render)))


@bp.route("/c/<slug>/preview")
@requires(STAFF)
def preview(slug: str):
    found = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    return private_page(make_response(_render_campaign(found or abort(404), preview=True)))


@bp.route("/c/<slug>/qr.svg")
def qr(slug: str):
    found = _public_campaign(slug) or abort(404)
    url = url_for("donate.campaign", slug=found.slug, _external=True)
    svg = segno.make(url, error="m")
    return Response(_svg_document(svg), mimetype="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


def _api_bodies(slugs) -> dict[str, dict]:
    """The progress JSON of each public campaign in ``slugs``, from the shared figures."""
    found = [c for c in map(_public_campaign, slugs) if c is not None]
    figures = progress.public_progress(db.session, found)
    return {c.slug: {"slug": c.slug, "kind": c.kind, "status": c.status, **figures[c.id].as_dict(),
                     **({"wishes": progress.wish_counts(c)} if c.kind == "wish" else {})}
            for c in found}


@bp.route("/api/v1/campaigns/<slug>")
def campaign_api(slug: str):
    body = cached_many("api", [slug], _api_bodies).get(slug)
    if body is None:
        return jsonify(error="not_found", message=_("No such campaign.")), 404
    return public_json(jsonify(body))
