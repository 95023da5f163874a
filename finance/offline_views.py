"""Offline gift pages: staff and finance record cash and bank-transfer gifts; the list shows
which transfers still wait for a bank line. Auditors may read the list."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from campaigns.models import Campaign, Designation
from core.access import AUDITOR, FINANCE, STAFF, guard_blueprint, requires
from core.extensions import db
from finance.bank_models import BankAccount
from finance.offline import OfflineGift, OfflineGiftError, offline_gifts, record_offline_gift
from finance.offline_forms import CHANNEL_LABELS, OfflineGiftForm
from ledger.chart import BANK
from ledger.errors import LedgerError
from ledger.views import ledger_message

bp = Blueprint("offline", __name__, url_prefix="/finance/offline-gifts")
guard_blueprint(bp, STAFF, FINANCE)


def _form() -> OfflineGiftForm:
    locale = str(get_locale())
    form = OfflineGiftForm()
    rows = db.session.execute(sa.select(Designation, Campaign).join(Campaign)
                              .where(Campaign.kind == "pooled", Campaign.status != "draft")
                              .order_by(Campaign.id, Designation.position)).all()
    form.designation.choices = [(d.id, f"{c.title(locale)} — {d.label(locale)}") for d, c in rows]
    accounts = db.session.scalars(sa.select(BankAccount).where(BankAccount.active)
                                  .order_by(BankAccount.id)).all()
    form.bank_account.choices = [(a.ledger_account_code, f"{a.name} …{a.last_digits}")
                                 for a in accounts] or [(BANK, BANK)]
    return form


def _page(form, code=200):
    only_open = request.args.get("to_be_matched") == "1"
    return render_template("finance/offline_gifts.html", form=form, only_open=only_open,
                           gifts=offline_gifts(db.session, to_be_matched=only_open),
                           channels=CHANNEL_LABELS), code


@bp.route("/")
@requires(STAFF, FINANCE, AUDITOR)
def index():
    return _page(_form())


def _gift(form) -> OfflineGift:
    designation = db.session.get(Designation, form.designation.data)
    return OfflineGift(campaign=designation.campaign, designation=designation,
                       donor_name=form.donor_name.data, email=form.email.data or "",
                       amount_fen=form.amount.fen, channel=form.channel.data,
                       gift_date=form.gift_date.parsed, collected_by=form.collected_by.data,
                       bank_account_code=form.bank_account.data)


@bp.route("/", methods=["POST"])
def record():
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        donation = record_offline_gift(db.session, _gift(form), actor=current_user)
    except (OfflineGiftError, LedgerError) as err:
        db.session.rollback()
        field = getattr(err, "field", None) or "gift_date"
        message = err.message if isinstance(err, OfflineGiftError) else ledger_message(err)
        getattr(form, field, form.gift_date).errors.append(message)
        return _page(form, 400)
    db.session.commit()
    flash(_("Gift recorded: receipt %(number)s.", number=donation.receipt_number), "success")
    return redirect(url_for(".index"), 303)
