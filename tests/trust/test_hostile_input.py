"""Hostile and broken input (issue #10), part 1: the public donate form, the JSON API, receipt
lookups, the Stripe webhook and the login form. Every case is refused with a 4xx or a form
error that says what is wrong, and the database is exactly as it was (row counts of every
table and the ledger's hash head). Staff forms and CSV imports are in
``test_hostile_staff_input.py``."""
import time

import pytest

from tests.trust.hostile import Case, check, world_ids

LONG = "长" * 5000
SCRIPT = "<script>alert(1)</script>"
SQL = "1'; DROP TABLE donations; --"
ZWJ, RLM, ZWSP = "\u200d", "\u200f", "\u200b"

AMOUNT_FORMAT = "Enter an amount in yuan, like 50 or 12.50 (at most two decimal places)."
MORE_THAN_ZERO = "The amount must be more than zero."


def donate(case_id, status=(400,), text=None, **fields):
    """A donate-form case: a ¥100 gift to the first designation, with ``fields`` changed."""
    data = {"preset": "custom", "custom_amount": "100", "designation": "{desig}", "donor_name": "张三",
            "message": "", "email": "donor@example.org", "website": ""}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return Case(case_id, "/c/{pooled}/donate", data=data, who="anon", status=status, text=text)


DONATE = [
    donate("amount-letters", text=AMOUNT_FORMAT, custom_amount="abc"),
    donate("amount-negative", text=MORE_THAN_ZERO, custom_amount="-5"),
    donate("amount-zero", text=MORE_THAN_ZERO, custom_amount="0"),
    donate("amount-zero-decimals", text=MORE_THAN_ZERO, custom_amount="0.00"),
    donate("amount-three-decimals", text=AMOUNT_FORMAT, custom_amount="0.001"),
    donate("amount-exponent", text=AMOUNT_FORMAT, custom_amount="1e9"),
    donate("amount-empty", text="Please enter an amount.", custom_amount=""),
    donate("amount-missing", text="Please enter an amount.", custom_amount=None),
    donate("amount-spaces", text="Please enter an amount.", custom_amount="   "),
    donate("amount-too-long", text="Field cannot be longer than 20 characters.",
           custom_amount="1" * 21),
    donate("amount-huge", text=AMOUNT_FORMAT, custom_amount="9" * 20),
    donate("amount-nan", text=AMOUNT_FORMAT, custom_amount="NaN"),
    donate("amount-infinity", text=AMOUNT_FORMAT, custom_amount="Infinity"),
    donate("amount-hex", text=AMOUNT_FORMAT, custom_amount="0x64"),
    donate("amount-two-points", text=AMOUNT_FORMAT, custom_amount="1.2.3"),
    donate("amount-zero-width-space", text=AMOUNT_FORMAT, custom_amount=f"1{ZWSP}00"),
    donate("amount-zero-width-joiner", text=AMOUNT_FORMAT, custom_amount=f"10{ZWJ}0"),
    donate("amount-right-to-left-mark", text=AMOUNT_FORMAT, custom_amount=f"{RLM}100"),
    donate("amount-fullwidth-too-many-decimals", text=AMOUNT_FORMAT, custom_amount="１．００１"),
    donate("amount-fullwidth-minus", text=MORE_THAN_ZERO, custom_amount="－１００"),
    donate("amount-sql", text=AMOUNT_FORMAT, custom_amount="100 OR 1=1"),
    donate("amount-script", text="Field cannot be longer than 20 characters.", custom_amount=SCRIPT),
    donate("amount-below-minimum", text="The smallest gift", custom_amount="0.50"),
    donate("amount-above-maximum", text="The largest gift", custom_amount="50000.01"),
    donate("amount-repeated-first-bad", text=AMOUNT_FORMAT, custom_amount=["abc", "100"]),
    donate("preset-not-offered", text="Please choose one of the amounts shown or type your own.",
           preset="12345"),
    donate("preset-sql", text="Please choose one of the amounts shown or type your own.", preset=SQL),
    donate("designation-not-offered", text="Please choose one of this drive's designations.",
           designation="987654"),
    donate("designation-letters", text="Please choose one of this drive's designations.",
           designation="abc"),
    donate("designation-missing", text="Please choose one of this drive's designations.",
           designation=None),
    donate("designation-script", text="Please choose one of this drive's designations.",
           designation=SCRIPT),
    donate("message-too-long", text="Field cannot be longer than 200 characters.", message="好" * 201),
    donate("message-huge", text="Field cannot be longer than 200 characters.", message=LONG),
    donate("name-too-long", text="Field cannot be longer than 60 characters.", donor_name="名" * 61),
    donate("email-not-an-email", text="Invalid email address.", email="not-an-email"),
    donate("email-sql", text="Invalid email address.", email="a@b.org'; DROP TABLE users; --"),
    donate("email-script", text="Invalid email address.", email=f"{SCRIPT}@example.org"),
    donate("email-right-to-left", text="Invalid email address.", email=f"donor{RLM}@exa{RLM}mple.org"),
    donate("honeypot-filled", website="http://spam.example"),
    Case("donate-unknown-drive", "/c/no-such-drive/donate", data={"custom_amount": "100"},
         who="anon", status=(404,)),
    Case("donate-drive-slug-script", "/c/%3Cscript%3E/donate", data={"custom_amount": "100"},
         who="anon", status=(404,)),
    Case("donate-drive-slug-sql", "/c/x'%20OR%20'1'='1/donate", data={"custom_amount": "100"},
         who="anon", status=(404,)),
]


def api(case_id, url, status=(404,), text="No such campaign.", method="GET"):
    return Case(case_id, url, method=method, who="anon", status=status, text=text)


API = [
    api("api-unknown-slug", "/api/v1/campaigns/no-such-drive"),
    api("api-slug-script", "/api/v1/campaigns/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        text="Page not found"),  # the encoded slash makes it another path
    api("api-slug-sql", "/api/v1/campaigns/x'%20OR%20'1'%3D'1"),
    api("api-slug-huge", "/api/v1/campaigns/" + "a" * 4000),
    api("api-slug-zero-width", "/api/v1/campaigns/wanren%E2%80%8Bjuan"),
    api("api-slug-right-to-left", "/api/v1/campaigns/%E2%80%8Fwanren-juan"),
    api("api-slug-fullwidth", "/api/v1/campaigns/%EF%BD%97anren-juan"),
    api("api-slug-upper-case", "/api/v1/campaigns/WANREN-JUAN"),
    api("api-post", "/api/v1/campaigns/{pooled}", status=(405,), text=None, method="POST"),
    api("api-delete", "/api/v1/campaigns/{pooled}", status=(405,), text=None, method="DELETE"),
]

NO_RECEIPT = "This receipt number and verification code do not match any receipt."
RECEIPTS = [
    Case("receipt-verify-wrong-code", "/receipts/verify?number=2026-000001&code=ABCDEF",
         method="GET", who="anon", status=(404,), text=NO_RECEIPT),
    Case("receipt-verify-sql", "/receipts/verify?number=1'%20OR%20'1'%3D'1&code=x",
         method="GET", who="anon", status=(404,), text=NO_RECEIPT),
    Case("receipt-verify-too-long", "/receipts/verify?number=" + "9" * 500 + "&code=x",
         method="GET", who="anon", status=(404,), text=NO_RECEIPT),
    Case("receipt-verify-number-only", "/receipts/verify?number=2026-000001",
         method="GET", who="anon", status=(404,), text=NO_RECEIPT),
    Case("receipt-page-without-code", "/receipts/2026-000001", method="GET", who="anon",
         status=(404,)),
    Case("receipt-page-wrong-code", "/receipts/2026-000001?code=000000", method="GET",
         who="anon", status=(404,)),
    Case("thanks-unknown-token", "/donations/no-such-token/thanks", method="GET", who="anon",
         status=(404,)),
    Case("card-unknown-token", "/donations/no-such-token/card", data={"card_token": "tok_visa"},
         who="anon", status=(404,)),
]


@pytest.mark.parametrize("case", DONATE + API + RECEIPTS, ids=lambda c: c.id)
def test_public_input_is_refused_and_writes_nothing(world, case):
    check(world.test_client(), case, world_ids())


# -- the webhook ----------------------------------------------------------------------------

SECRET = "whsec_trust"


def webhook(case_id, body: bytes, signature="good", status=(400,), text=None, age=0):
    return (case_id, body, signature, status, text, age)


BAD_SIGNATURE, BAD_PAYLOAD = '"error":"bad_signature"', '"error":"bad_payload"'
EVENT = (b'{"id": "evt_trust_1", "object": "event", "type": "payment_intent.succeeded", '
         b'"data": {"object": {"id": "pi_unknown", "object": "payment_intent"}}}')
WEBHOOKS = [
    webhook("no-signature", EVENT, signature=None, text='"error":"missing_signature"'),
    webhook("forged-signature", EVENT, signature="t=1,v1=" + "0" * 64, text=BAD_SIGNATURE),
    webhook("wrong-secret", EVENT, signature="wrong-secret", text=BAD_SIGNATURE),
    webhook("replayed-after-tolerance", EVENT, age=3600, text=BAD_SIGNATURE),
    webhook("empty-body", b"", text=BAD_PAYLOAD),
    webhook("not-json", b"<xml>no</xml>", text=BAD_PAYLOAD),
    webhook("json-array", b"[1, 2, 3]", text=BAD_PAYLOAD),
    webhook("event-without-id", b'{"object": "event", "type": "payment_intent.succeeded"}',
            text=BAD_PAYLOAD),
    webhook("latin1-bytes", "{\"id\": \"evt_\xe9\"}".encode("latin-1"), text=BAD_PAYLOAD),
    webhook("huge-body", b'{"id": "evt_x", "pad": "' + b"x" * (9 * 1024 * 1024) + b'"}',
            signature=None, status=(413,)),
]


def _signature(body: bytes, how, age: int):
    import stripe

    if how is None or how.startswith("t="):
        return how
    secret = SECRET if how == "good" else "whsec_someone_else"
    return stripe.WebhookSignature.generate_signature_header(
        body.decode("utf-8", "replace"), secret, timestamp=int(time.time()) - age)


@pytest.mark.parametrize("case_id, body, signature, status, text, age", WEBHOOKS,
                         ids=[w[0] for w in WEBHOOKS])
def test_webhook_refuses_bad_bodies_and_signatures(world, case_id, body, signature, status, text,
                                                   age):
    world.config["STRIPE_WEBHOOK_SECRET"] = SECRET
    headers = {"Content-Type": "application/json"}
    sig = _signature(body, signature, age)
    if sig is not None:
        headers["Stripe-Signature"] = sig
    case = Case(case_id, "/stripe/webhook", body=(body, "application/json"), who="anon",
                status=status, text=text, headers=headers)
    check(world.test_client(), case, world_ids())


# -- login ----------------------------------------------------------------------------------

WRONG = "Wrong email or password."
LOGINS = [
    Case("login-empty", "/login", data={"email": "", "password": ""}, who="anon",
         text="This field is required."),
    Case("login-missing-password", "/login", data={"email": "staff@demo.wanjia"}, who="anon",
         text="This field is required."),
    Case("login-email-too-long", "/login", data={"email": "a" * 300 + "@x.org", "password": "x"},
         who="anon", text="At most 254 characters."),
    Case("login-sql-email", "/login", data={"email": "' OR 1=1 --", "password": "x"},
         who="anon", status=(200, 400, 401), text=WRONG),
    Case("login-sql-password", "/login", data={"email": "admin@demo.wanjia",
                                               "password": "' OR '1'='1"},
         who="anon", status=(200, 400, 401), text=WRONG),
    Case("login-fullwidth-email", "/login", data={"email": "ａｄｍｉｎ@demo.wanjia",
                                                  "password": "wanjia-admin-demo"},
         who="anon", status=(200, 400, 401), text=WRONG),
    Case("login-password-huge", "/login", data={"email": "admin@demo.wanjia", "password": LONG},
         who="anon", text="At most 200 characters."),
]


@pytest.mark.parametrize("case", LOGINS, ids=lambda c: c.id)
def test_bad_logins_are_refused_and_change_only_the_failure_count(world, case):
    # A failed login may count a failure (the lock-out needs it); it must write nothing else.
    check(world.test_client(), case, world_ids(), ignore=("login_throttles",))
