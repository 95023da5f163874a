"""Helpers for the micro-wish tests (plain functions, usable from threads)."""
import itertools

import sqlalchemy as sa

from campaigns import services as campaign_services
from campaigns.wishes import services
from campaigns.wishes.models import Wish, WishReservation
from ledger.chart import seed_chart

STAFF = "staff@example.org"
_refs = itertools.count(1)


def make_drive(session, slug="dongri-nuanyang", status="live"):
    seed_chart(session)
    campaign = campaign_services.create_campaign(session, campaign_services.CampaignInput(
        slug=slug, kind="wish", title_zh="冬日暖阳·青少年微心愿", title_en="Winter Sunshine",
        min_gift_fen=100, max_gift_fen=200_000))
    if status in ("live", "closed"):
        campaign_services.publish_campaign(session, campaign)
    if status == "closed":
        campaign_services.close_campaign(session, campaign)
    services.drive_settings(session, campaign)
    session.commit()
    return campaign


def wish_input(**fields) -> services.WishInput:
    values = dict(beneficiary="小雨", age_band="10–12岁", street="HN", category="study",
                  item="新书包", price="150", story="想要一个新书包。")
    values.update(fields)
    return services.WishInput(**values)


def make_wish(session, drive, status="open", **fields):
    """A wish of ``drive`` taken through the services to ``status`` (up to open or cancelled)."""
    wish = services.create_wish(session, drive, wish_input(**fields), STAFF)
    if status != "draft":
        services.verify_wish(session, wish, STAFF)
    if status in ("open", "cancelled"):
        services.publish_wish(session, wish, STAFF)
    if status == "cancelled":
        services.cancel_wish(session, wish, STAFF)
    return wish


def pending_gift(session, drive, amount_fen, email="donor@example.org"):
    """A pending gift to the drive's "where most needed", made directly (no Stripe)."""
    from donate.models import Donation

    donation = Donation(campaign=drive, designation=drive.designation_for(drive.fund_code),
                        amount_fen=amount_fen, currency="CNY", channel="bank_transfer",
                        source_ref=f"wishtest:{next(_refs)}", email=email, donor_name="李四")
    session.add(donation)
    session.flush()
    return donation


def pay_for(session, reservation, email="donor@example.org"):
    """Make and book the gift for ``reservation``, the way a paid PaymentIntent is booked."""
    from donate.services import book_donation_succeeded

    wish = session.get(Wish, reservation.wish_id)
    donation = pending_gift(session, wish.campaign, wish.price_fen, email)
    services.attach_donation(session, reservation, donation.id)
    book_donation_succeeded(session, donation)
    return donation


def reservations_of(session, wish_id):
    return list(session.scalars(sa.select(WishReservation).filter_by(wish_id=wish_id)
                                .order_by(WishReservation.id)))


def statuses(session, campaign_id) -> dict:
    rows = session.execute(sa.select(Wish.status, sa.func.count()).where(Wish.campaign_id == campaign_id)
                           .group_by(Wish.status))
    return dict(rows.all())


def try_reserve(app, wish_id, donor, now, amount_fen=None) -> bool:
    """One donor's attempt from its own thread and session: True when it got a reservation."""
    from campaigns.wishes import state
    from core.extensions import db

    with app.app_context():
        try:
            services.reserve_wish(db.session, db.session.get(Wish, wish_id), donor, now, amount_fen=amount_fen)
            db.session.commit()
            return True
        except state.WishError:
            db.session.rollback()
            return False
        finally:
            db.session.remove()
