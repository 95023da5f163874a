"""Sharing a campaign or a wish: Open Graph / Twitter / WeChat meta data, the share cards
(PNG, :mod:`donate.share_image`), and one public page per wish (``/w/<id>``) to share.

The pages read their meta data from the template globals :func:`campaign_share` and
:func:`wish_share` (registered here, so that no other view has to pass it); the images are
public, cached for an hour, with an ETag made from what they show.
"""
import hashlib

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from campaigns.homes.households import streets
from campaigns.models import Campaign
from campaigns.wishes import board
from campaigns.wishes import state as wish_state
from campaigns.wishes.models import Wish
from core import charts
from core.access import PUBLIC, guard_blueprint
from core.extensions import db
from core.i18n import ZH, money
from donate import progress
from donate.share_image import SHAPES, Card, render_card
from donate.views import share_qr_svg

bp = Blueprint("share", __name__)
guard_blueprint(bp, PUBLIC)

#: How long browsers and WeChat may keep a share card (seconds).
CARD_MAX_AGE = 3600
#: Open Graph locales: og:locale is language_TERRITORY.
OG_LOCALES = {ZH: "zh_CN", "en": "en_US"}
DESCRIPTION_MAX = 120


def _public_campaign_or_404(slug: str) -> Campaign:
    found = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    return found if found is not None and found.is_public else abort(404)


def _public_wish_or_404(wish_id: int) -> Wish:
    wish = db.session.get(Wish, wish_id)
    if wish is None or wish.status not in board.PUBLIC_STATUSES or not wish.campaign.is_public:
        abort(404)
    return wish


def _short(text: str) -> str:
    """The first paragraph of ``text``, at most :data:`DESCRIPTION_MAX` characters."""
    first = next((p.strip() for p in text.split("\n") if p.strip()), "")
    return first if len(first) <= DESCRIPTION_MAX else first[: DESCRIPTION_MAX - 1] + "…"


def _meta(title: str, description: str, page: str, images: dict, kind: str = "website") -> dict:
    locale = str(get_locale())
    return {"title": title, "description": description, "url": page, "type": kind,
            "image": images["wide"], "image_square": images["square"],
            "locale": OG_LOCALES.get(locale, "zh_CN"),
            "locale_alternate": [v for k, v in OG_LOCALES.items() if k != locale]}


def campaign_share(campaign: Campaign) -> dict:
    """Open Graph data of a campaign's public page (absolute URLs)."""
    locale = str(get_locale())
    images = {shape: url_for("share.campaign_card", slug=campaign.slug, shape=shape, _external=True)
              for shape in SHAPES}
    return _meta(campaign.title(locale), _short(campaign.story(locale)) or campaign.title(locale),
                 url_for("donate.campaign", slug=campaign.slug, _external=True), images)


def _wish_title(wish: Wish) -> str:
    return _("%(who)s wishes for %(item)s", who=wish.label, item=wish.item)


def wish_share(wish: Wish) -> dict:
    """Open Graph data of a wish's page (absolute URLs)."""
    images = {shape: url_for("share.wish_card", wish_id=wish.id, shape=shape, _external=True)
              for shape in SHAPES}
    return _meta(_wish_title(wish), _short(wish.story) or _wish_title(wish),
                 url_for("share.wish_page", wish_id=wish.id, _external=True), images, "article")


def _card_response(card: Card, shape: str) -> Response:
    """The PNG, or 304 when the browser already has this very card."""
    tag = hashlib.sha256(repr((card, shape)).encode()).hexdigest()[:32]
    response = Response(mimetype="image/png")
    response.set_etag(tag)
    response.cache_control.public = True
    response.cache_control.max_age = CARD_MAX_AGE
    if request.if_none_match.contains(tag):
        response.status_code = 304
        return response
    response.set_data(render_card(card, shape))
    return response


def _progress_text(value: int, goal: int, currency: str) -> str:
    if goal > 0:
        return _("Raised %(raised)s of %(goal)s", raised=money(value, currency), goal=money(goal, currency))
    return _("Raised %(raised)s", raised=money(value, currency))


@bp.route("/c/<slug>/share.png", defaults={"shape": "wide"})
@bp.route("/c/<slug>/share-square.png", defaults={"shape": "square"})
def campaign_card(slug: str, shape: str):
    campaign = _public_campaign_or_404(slug)
    # The figures the public page shows, shared by every reader for PUBLIC_CACHE_SECONDS.
    p = progress.public_progress(db.session, [campaign])[campaign.id]
    # The card is shared in Chinese chats: its words are Chinese, whatever the page's language.
    with force_locale(ZH):
        card = Card(campaign.title("zh"), campaign.title_en, _progress_text(p.raised_fen, p.goal_fen, p.currency),
                    p.raised_fen, p.goal_fen, url_for("donate.campaign", slug=slug, _external=True), _("Wanjia"))
    return _card_response(card, shape)


@bp.route("/w/<int:wish_id>/share.png", defaults={"shape": "wide"})
@bp.route("/w/<int:wish_id>/share-square.png", defaults={"shape": "square"})
def wish_card(wish_id: int, shape: str):
    wish = _public_wish_or_404(wish_id)
    with force_locale(ZH):
        card = Card(_wish_title(wish), wish.campaign.title("zh"),
                    _progress_text(wish.funded_fen, wish.price_fen, wish.currency), wish.funded_fen,
                    wish.price_fen, url_for("share.wish_page", wish_id=wish.id, _external=True), _("Wanjia"))
    return _card_response(card, shape)


@bp.route("/w/<int:wish_id>")
def wish_page(wish_id: int):
    wish = _public_wish_or_404(wish_id)
    url = url_for("share.wish_page", wish_id=wish.id, _external=True)
    return render_template(
        "wishes/wish.html", wish=wish, campaign=wish.campaign, locale=str(get_locale()),
        status=board.public_status(wish), status_labels=wish_state.STATUS_LABELS,
        categories=board.CATEGORY_LABELS, streets=streets(), share_url=url,
        qr_svg=share_qr_svg(url, _("Scan to open this page")))


@bp.record_once
def _register_globals(setup_state) -> None:
    setup_state.app.jinja_env.globals.update(
        campaign_share=campaign_share, wish_share=wish_share, goal_bar=charts.goal_bar)
