"""Helpers for the giving tests: forms as donors fill them in, paid donations, webhooks
signed with Stripe's real scheme, and the books as a dict."""
import json
import time

import requests
import sqlalchemy as sa

from core.extensions import db

WEBHOOK_SECRET = "whsec_test_wanjia"
FUNDS = ("SF-LJZ", "SF-HN", "GOODS-YN")


def register_webhook(stripe_url: str, target_url: str, secret: str = WEBHOOK_SECRET) -> None:
    resp = requests.post(f"{stripe_url}/_config/webhooks/wanjia-test",
                         data={"url": target_url, "secret": secret}, timeout=5)
    assert resp.status_code == 200, resp.text


def designation(campaign, fund_code):
    return next(d for d in campaign.designations if d.fund_code == fund_code)


def donate_form(campaign, **fields) -> dict:
    """The donate form as a donor fills it in: ¥100 to the first designation by default."""
    data = {"preset": "custom", "custom_amount": "100", "designation": str(campaign.designations[0].id),
            "donor_name": "张三", "message": "", "email": "donor@example.org", "website": ""}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def make_paid_donation(gateway, campaign, amount_fen=10_000, fund="SF-LJZ", card="pm_card_visa",
                       confirm=True, **kw):
    """A donation whose PaymentIntent is confirmed server-side at creation (as in tests only);
    ``confirm=None`` leaves it for the test to confirm."""
    from donate import services

    if confirm:
        kw["confirm"] = True
    donation, pi = services.create_donation(
        db.session, gateway, campaign=campaign, designation=designation(campaign, fund),
        gift_fen=amount_fen, cover_fee=kw.pop("cover_fee", False), donor_name=kw.pop("name", "张三"),
        email=kw.pop("email", "donor@example.org"), client_ip=kw.pop("client_ip", "203.0.113.7"),
        **({"payment_method": card} if card else {}), **kw)
    db.session.commit()
    return donation, pi


def signed(payload: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """``(body, headers)`` of a webhook signed with Stripe's real scheme."""
    import stripe

    body = json.dumps(payload)
    ts = timestamp if timestamp is not None else int(time.time())
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=ts)
    return body, {"Stripe-Signature": header, "Content-Type": "application/json"}


def event(event_id: str, kind: str, obj: dict) -> dict:
    return {"id": event_id, "object": "event", "type": kind, "created": int(time.time()),
            "api_version": "2024-06-20", "data": {"object": obj}}


def post_event(client, payload: dict, **kw):
    body, headers = signed(payload, **kw)
    return client.post("/stripe/webhook", data=body, headers=headers)


ACCOUNTS = ("PROCESSOR_CLEARING", "DONATION_INCOME", "FUNDRAISING_EXPENSE", "INTERFUND",
            "DISPUTES_HELD", "BANK")


def trial_balance(funds=FUNDS + ("GEN",)) -> dict:
    """``{(account, fund): balance}`` of the accounts a gift touches, zeros left out."""
    from ledger import chart
    from ledger.balances import account_balance

    db.session.expire_all()
    out = {}
    for name in ACCOUNTS:
        code = getattr(chart, name)
        for fund in funds:
            amount = account_balance(db.session, code, fund)
            if amount:
                out[(name, fund)] = amount
    return out


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
