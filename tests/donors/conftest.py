"""Fixtures for monthly giving and the donor page: the giving tests' localstripe, drive and
ledger fixtures, plus helpers that drive a plan's renewals in localstripe the way Stripe would."""
import pytest
import sqlalchemy as sa

from core.extensions import db
from tests.donate.conftest import (  # noqa: F401 - fixtures shared with the giving tests
    drive, funds, gateway, localstripe_server, make_drive, stripe_url, webhook_secret,
)
from tests.donate.giving_support import event, post_event

VISA = "4242424242424242"
DECLINES = "4000000000000341"  # attaches to a customer, then every charge is declined


def card_token(gateway, number: str = VISA) -> str:
    """A Stripe.js-style card token, as the browser's card element makes one."""
    token = gateway.client.v1.tokens.create(
        {"card": {"number": number, "exp_month": 12, "exp_year": 2035, "cvc": "123"}})
    return token["id"]


def renew(gateway, plan) -> dict:
    """Stripe's monthly run for ``plan``: a new invoice for its subscription, charged now."""
    invoice = gateway.client.v1.invoices.create(
        {"customer": plan.stripe_customer, "subscription": plan.stripe_subscription})
    gateway.client.v1.invoices.pay(invoice["id"])
    return gateway.retrieve_invoice(invoice["id"])


_seq = iter(range(1, 10_000))


def deliver(client, kind: str, obj: dict, event_id: str | None = None):
    """A webhook event about ``obj``, signed with Stripe's real scheme; its JSON answer."""
    resp = post_event(client, event(event_id or f"evt_{kind}_{next(_seq)}", kind, obj))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


@pytest.fixture
def monthly(app, drive, stripe_url, webhook_secret):
    """``monthly(gift_fen=5000, email=..., card=VISA)``: a started plan on the drive."""
    from donate import recurring

    def make(gift_fen=5000, email="donor@example.org", card=VISA, fund="SF-LJZ", **kw):
        from donate.giving import gateway as app_gateway

        designation = next(d for d in drive.designations if d.fund_code == fund)
        plan = recurring.create_plan(db.session, campaign=drive, designation=designation,
                                     gift_fen=gift_fen, cover_fee=kw.pop("cover_fee", False),
                                     email=email, donor_name=kw.pop("name", "张三"))
        recurring.start_plan(db.session, app_gateway(), plan, card_token(app_gateway(), card))
        db.session.commit()
        return plan

    return make


def gifts_of(plan) -> list:
    from donate.models import Donation

    db.session.expire_all()
    return list(db.session.scalars(sa.select(Donation).filter_by(plan_id=plan.id).order_by(Donation.id)))


def last_link(to_addr: str) -> str:
    """The path of the newest donor link emailed to ``to_addr``."""
    import re

    from donate.models import OutboxMessage

    db.session.expire_all()
    msg = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.to_addr == to_addr)
                            .where(OutboxMessage.body.like("%/donor/sign-in/%"))
                            .order_by(OutboxMessage.id.desc()))
    assert msg is not None, f"no sign-in link was sent to {to_addr}"
    return re.search(r"/donor/sign-in/\S+", msg.body).group(0)


def sign_in(client, email: str):
    """Ask for a link as a donor would, and use it; the donor page's response."""
    assert client.post("/donor/sign-in?lang=en", data={"email": email}).status_code == 200
    resp = client.post(last_link(email.strip().lower()))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client.get("/donor/?lang=en")


def book_offline_gift(drive, email: str, amount_fen: int, ref: str):
    """A booked bank-transfer gift made with ``email`` exactly as typed."""
    from donate import services
    from donate.models import Donation

    gift = Donation(campaign=drive, designation=drive.designations[0], amount_fen=amount_fen,
                    currency="CNY", email=email, channel="bank_transfer", source_ref=ref)
    db.session.add(gift)
    db.session.flush()
    services.book_donation_succeeded(db.session, gift)
    db.session.commit()
    return gift
