"""Helpers for the giving-day scale tests (plain functions, usable from threads): a live drive
with a matching pledge open around now, pending gifts with PaymentIntent ids, and their
``payment_intent.succeeded`` events signed with Stripe's real scheme."""
import time
from datetime import timedelta

import sqlalchemy as sa

from core.auth import utcnow
from core.extensions import db
from donate.models import Donation, StripeEvent
from tests.donate.giving_support import event, signed
from tests.matching import support as matching

WEBHOOK_SECRET = "whsec_scale"
#: Settings of a giving-day peak: no Stripe call per gift, no gaming holds (exact pools).
PEAK = dict(STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, BOOK_FEES_AT_SUCCESS=False,
            MATCHING_BURST_GIFTS=0, MATCHING_NEAR_MIN_GIFTS=0)


def make_drive_with_pledge(pool_fen: int, **terms):
    """The live drive "wanren-test" and a live 1:1 pledge of ``pool_fen`` open around now."""
    drive = matching.make_drive(db.session)
    now = utcnow()
    pledge = matching.make_pledge(db.session, drive, pool_fen=pool_fen,
                                  starts_at=now - timedelta(days=1),
                                  ends_at=now + timedelta(days=30), **terms)
    return drive, pledge


def pending_gifts(drive, amounts, donors: int = 50) -> list[Donation]:
    """Pending online gifts (PaymentIntent ``pi_scale_<id>``) of ``amounts`` (fen) from
    ``donors`` donors."""
    made = []
    for n, amount in enumerate(amounts):
        gift = matching.pending_gift(db.session, drive, amount, email=f"donor{n % donors}@example.org")
        gift.stripe_payment_intent, gift.channel = f"pi_scale_{gift.id}", "online"
        made.append(gift)
    db.session.commit()
    return made


def succeeded(gift, n: int | None = None, **extra) -> dict:
    """The ``payment_intent.succeeded`` event of ``gift`` (event id from ``n``)."""
    pi = {"id": gift.stripe_payment_intent, "object": "payment_intent", "status": "succeeded",
          "amount": gift.amount_fen, "currency": "cny", "created": int(time.time()), **extra}
    return event(f"evt_scale_{gift.id if n is None else n}", "payment_intent.succeeded", pi)


def post(client, payload: dict):
    body, headers = signed(payload, secret=WEBHOOK_SECRET)
    return client.post("/stripe/webhook", data=body, headers=headers)


def count(query) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query))


def pending_events() -> int:
    return count(sa.select(StripeEvent.id).where(StripeEvent.processed_at.is_(None)).subquery())
