"""Staff pages for micro-wishes: a drive's wishes, creating and importing them, and each
wish's life — verify at a home visit, publish, record purchase and delivery, close."""
import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaigns.homes.goods import parse_price
from campaigns.homes.households import streets
from campaigns.homes.state import HomesError
from campaigns.models import Campaign
from campaigns.wishes import board, importing, models, photos, services, settings, state
from campaigns.wishes.forms import (DeliveryForm, ImportForm, NoteForm, PurchaseForm, SettingsForm,
                                    WishForm)
from core.access import STAFF, guard_blueprint
from core.extensions import db

bp = Blueprint("wishes_staff", __name__, url_prefix="/staff/wishes")
guard_blueprint(bp, STAFF)
__all__ = ["bp"]

#: The simple actions: one button, an optional note.
NOTE_ACTIONS = {
    "verify": lambda w, who, note: services.verify_wish(db.session, w, who, note=note),
    "publish": lambda w, who, note: services.publish_wish(db.session, w, who),
    "close": lambda w, who, note: services.close_wish(db.session, w, who),
    "cancel": lambda w, who, note: services.cancel_wish(db.session, w, who, note),
}


def _refused(err, form=None) -> None:
    db.session.rollback()
    if form is not None and err.field and err.field in form:
        form[err.field].errors = list(form[err.field].errors) + [str(err.message)]
    else:
        flash(str(err.message), "error")


def _drive_or_404(slug: str) -> Campaign:
    found = db.session.scalar(sa.select(Campaign).filter_by(slug=slug, kind="wish"))
    return found or abort(404)


def _wish_form(form=None) -> WishForm:
    form = form or WishForm()
    form.street.choices = [(code, row["name_zh"]) for code, row in streets().items()]
    return form


@bp.route("/")
def index():
    drives = db.session.scalars(sa.select(Campaign).filter_by(kind="wish").order_by(Campaign.id)).all()
    counts = {d.id: services.wish_counts(db.session, d.id) for d in drives}
    return render_template("wishes/staff_index.html", drives=drives, counts=counts)


def _render_drive(campaign, form=None, import_form=None, rows=None, code=200, settings_form=None):
    wishes = db.session.scalars(sa.select(models.Wish).filter_by(campaign_id=campaign.id)
                                .order_by(models.Wish.id.desc())).all()
    refunds = db.session.scalars(sa.select(models.WishReservation).join(models.Wish).where(
        models.Wish.campaign_id == campaign.id,
        models.WishReservation.status == state.REFUND_REQUESTED)).all()
    return render_template(
        "wishes/staff_drive.html", campaign=campaign, wishes=wishes, form=_wish_form(form),
        import_form=import_form or ImportForm(), rows=rows, refunds=refunds,
        settings=settings.drive_settings(db.session, campaign), streets=streets(),
        settings_form=settings_form or _settings_form(campaign),
        categories=board.CATEGORY_LABELS, status_labels=state.STATUS_LABELS), code


@bp.route("/drives/<slug>")
def drive(slug: str):
    return _render_drive(_drive_or_404(slug))


@bp.route("/drives/<slug>/wishes", methods=["POST"])
def create(slug: str):
    campaign, form = _drive_or_404(slug), _wish_form()
    if not form.validate_on_submit():
        return _render_drive(campaign, form, code=400)
    try:
        data = services.WishInput(**{k: form[k].data or "" for k in services.WishInput.__dataclass_fields__})
        wish = services.create_wish(db.session, campaign, data, current_user.email)
    except state.WishError as err:
        _refused(err, form)
        return _render_drive(campaign, form, code=400)
    db.session.commit()
    flash(_("Wish #%(id)d saved as a draft.", id=wish.id), "success")
    return redirect(url_for(".wish", wish_id=wish.id))


@bp.route("/drives/<slug>/import", methods=["POST"])
def import_csv(slug: str):
    campaign, form = _drive_or_404(slug), ImportForm()
    if not form.validate_on_submit():
        return _render_drive(campaign, import_form=form, code=400)
    try:
        rows = importing.parse_wish_csv(form.file.data.read())
        made, rows = services.import_wishes(db.session, campaign, rows, current_user.email)
    except state.WishError as err:
        _refused(err, form)
        return _render_drive(campaign, import_form=form, code=400)
    if not made:
        db.session.rollback()
        return _render_drive(campaign, import_form=form, rows=rows, code=400)
    db.session.commit()
    flash(_("%(count)d wishes were imported as drafts.", count=made), "success")
    return redirect(url_for(".drive", slug=slug))


def _yuan(fen: int | None) -> str:
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def _optional_fen(field, default):
    return parse_price(field.data, field.name) if (field.data or "").strip() else default


def _settings_form(campaign) -> SettingsForm:
    current = settings.drive_settings(db.session, campaign)
    return SettingsForm(price_cap=_yuan(current.price_cap_fen), reservation_minutes=current.reservation_minutes,
                        refund_late_gifts=current.refund_late_gifts,
                        pooled_threshold=_yuan(current.pooled_threshold_fen),
                        pooled_min_part=_yuan(current.pooled_min_part_fen))


@bp.route("/drives/<slug>/settings", methods=["POST"])
def update_settings(slug: str):
    campaign, form = _drive_or_404(slug), SettingsForm()
    if not form.validate_on_submit():
        return _render_drive(campaign, settings_form=form, code=400)
    try:
        settings.update_drive_settings(
            db.session, campaign, price_cap_fen=parse_price(form.price_cap.data, "price_cap"),
            reservation_minutes=form.reservation_minutes.data,
            refund_late_gifts=form.refund_late_gifts.data,
            pooled_threshold_fen=_optional_fen(form.pooled_threshold, None),
            pooled_min_part_fen=_optional_fen(form.pooled_min_part, models.DEFAULT_MIN_PART_FEN))
    except (state.WishError, HomesError) as err:
        _refused(err, form)
        return _render_drive(campaign, settings_form=form, code=400)
    db.session.commit()
    flash(_("The drive's settings were saved."), "success")
    return redirect(url_for(".drive", slug=slug))


def _wish_or_404(wish_id: int) -> models.Wish:
    return db.session.get(models.Wish, wish_id) or abort(404)


def _render_wish(wish, purchase=None, delivery=None, code=200):
    return render_template(
        "wishes/staff_wish.html", wish=wish, note_form=NoteForm(), purchase=purchase or PurchaseForm(),
        delivery=delivery or DeliveryForm(), actions=state.allowed_actions(wish.status),
        action_labels=state.ACTION_LABELS, status_labels=state.STATUS_LABELS,
        categories=board.CATEGORY_LABELS, streets=streets(), note_actions=NOTE_ACTIONS), code


@bp.route("/<int:wish_id>")
def wish(wish_id: int):
    return _render_wish(_wish_or_404(wish_id))


@bp.route("/<int:wish_id>/do/<action>", methods=["POST"])
def act(wish_id: int, action: str):
    found, form = _wish_or_404(wish_id), NoteForm()
    if action not in NOTE_ACTIONS:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    try:
        NOTE_ACTIONS[action](found, current_user.email, form.note.data or "")
    except state.WishError as err:
        _refused(err)
        return _render_wish(_wish_or_404(wish_id), code=409)
    db.session.commit()
    flash(_("The wish is now %(status)s.", status=state.STATUS_LABELS[found.status]), "success")
    return redirect(url_for(".wish", wish_id=wish_id))


@bp.route("/<int:wish_id>/purchase", methods=["POST"])
def purchase(wish_id: int):
    found, form = _wish_or_404(wish_id), PurchaseForm()
    if not form.validate_on_submit():
        return _render_wish(found, purchase=form, code=400)
    try:
        amount = parse_price(form.amount.data, "amount")
        photo = form.photo.data.read(photos.PHOTO_MAX_BYTES + 1) if form.photo.data else None
        services.record_purchase(db.session, found, amount, form.supplier.data, current_user.email, photo)
    except (state.WishError, HomesError) as err:
        _refused(err, form)
        return _render_wish(_wish_or_404(wish_id), purchase=form, code=400)
    db.session.commit()
    flash(_("The purchase was recorded and booked."), "success")
    return redirect(url_for(".wish", wish_id=wish_id))


@bp.route("/<int:wish_id>/deliver", methods=["POST"])
def deliver(wish_id: int):
    found, form = _wish_or_404(wish_id), DeliveryForm()
    if not form.validate_on_submit():
        return _render_wish(found, delivery=form, code=400)
    try:
        services.record_delivery(db.session, found, form.note.data, current_user.email)
    except state.WishError as err:
        _refused(err, form)
        return _render_wish(_wish_or_404(wish_id), delivery=form, code=409)
    db.session.commit()
    flash(_("The delivery was recorded."), "success")
    return redirect(url_for(".wish", wish_id=wish_id))


@bp.route("/<int:wish_id>/receipt-photo")
def receipt_photo(wish_id: int):
    found = _wish_or_404(wish_id)
    if not found.receipt_photo:
        abort(404)
    return Response(found.receipt_photo, mimetype=found.receipt_photo_type,
                    headers={"Cache-Control": "private, no-store"})
