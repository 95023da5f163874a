"""``payment_intent.succeeded`` events as Stripe sends them, signed with Stripe's scheme:
``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`` — what
``stripe.WebhookSignature.generate_signature_header`` computes, without importing the SDK into
the load generator. The app verifies them with ``stripe.Webhook.construct_event``.

The app runs with ``WANJIA_BOOK_FEES_AT_SUCCESS=0`` (a giving-day peak): the gift is booked
gross from the event and its fee left to reconciliation, so its charge is never looked up.
"""
import hashlib
import hmac
import json
import time


def event_body(pi: str, amount_fen: int, event_id: str, created: int) -> bytes:
    intent = {
        "id": pi, "object": "payment_intent", "amount": amount_fen, "amount_received": amount_fen,
        "currency": "cny", "status": "succeeded", "created": created, "livemode": False,
        "capture_method": "automatic", "payment_method": f"pm_{pi[3:]}",
        "payment_method_types": ["card"], "latest_charge": f"ch_{pi[3:]}",
        "metadata": {"campaign": "giving-day"},
    }
    event = {"id": event_id, "object": "event", "api_version": "2024-06-20", "created": created,
             "livemode": False, "pending_webhooks": 1, "type": "payment_intent.succeeded",
             "request": {"id": None, "idempotency_key": None}, "data": {"object": intent}}
    return json.dumps(event, separators=(",", ":")).encode()


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signed_event(pi: str, amount_fen: int, secret: str, event_id: str | None = None) -> tuple[bytes, str]:
    """``(body, Stripe-Signature header)`` of the succeeded event of ``pi``, signed now."""
    now = int(time.time())
    body = event_body(pi, amount_fen, event_id or f"evt_{pi[3:]}", now)
    return body, signature_header(body, secret, now)
