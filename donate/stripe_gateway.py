"""The only module that imports ``stripe``.

A thin wrapper around :class:`stripe.StripeClient`: the same calls reach localstripe locally
and in tests, and Stripe in production; only ``STRIPE_API_BASE`` differs. Callers get plain
dicts back (SDK objects stopped being dicts in stripe 15) and one error type,
:class:`GatewayError`, whose ``message`` is safe to show a donor.
"""
import logging
from dataclasses import dataclass

import stripe
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

#: Stripe decline codes mapped to what a donor may be told.
DONOR_MESSAGES = {
    "card_declined": _l("Your card was declined. Please try another card."),
    "expired_card": _l("Your card has expired."),
    "incorrect_cvc": _l("The card's security code is incorrect."),
    "processing_error": _l("The payment could not be processed. Please try again."),
}
GENERIC_MESSAGE = _l("The payment service is not available right now. Please try again later.")


class GatewayError(Exception):
    """A Stripe call that failed; ``message`` is donor-safe, ``code`` is Stripe's code."""

    def __init__(self, message, code: str = ""):
        super().__init__(str(message))
        self.message = message
        self.code = code


class SignatureError(GatewayError):
    """A webhook whose Stripe-Signature is missing, forged or stale."""


def _plain(obj) -> dict:
    return obj.to_dict(for_json=True) if hasattr(obj, "to_dict") else dict(obj)


@dataclass
class StripeGateway:
    """One Stripe account reached at ``api_base``."""

    api_key: str
    api_base: str = ""
    max_network_retries: int = 2

    def __post_init__(self):
        # Retries are safe against Stripe (Idempotency-Key) but not against localstripe,
        # which ignores the key: the tests set max_network_retries=0 (see FACTS.md).
        kwargs = {"max_network_retries": self.max_network_retries}
        if self.api_base:
            kwargs["base_addresses"] = {"api": self.api_base}
        self.client = stripe.StripeClient(self.api_key, **kwargs)

    @classmethod
    def from_config(cls, config) -> "StripeGateway":
        return cls(
            api_key=config["STRIPE_SECRET_KEY"],
            api_base=config.get("STRIPE_API_BASE", ""),
            max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
        )

    def _call(self, what: str, fn, *args, **kwargs) -> dict:
        try:
            return _plain(fn(*args, **kwargs))
        except stripe.CardError as err:
            code = getattr(err, "code", "") or "card_declined"
            log.info("stripe %s: card error %s", what, code)
            raise GatewayError(DONOR_MESSAGES.get(code, DONOR_MESSAGES["card_declined"]), code)
        except stripe.StripeError as err:
            log.warning("stripe %s failed: %s", what, err)
            raise GatewayError(GENERIC_MESSAGE, getattr(err, "code", "") or "") from None

    def create_payment_intent(self, amount_fen: int, currency: str, metadata: dict,
                              payment_method_types=("card",), **extra) -> dict:
        """Create a PaymentIntent; ``extra`` passes e.g. ``payment_method`` and ``confirm``."""
        params = {
            "amount": amount_fen, "currency": currency.lower(),
            "metadata": {k: str(v) for k, v in metadata.items()},
            "payment_method_types": list(payment_method_types), **extra,
        }
        return self._call("create PaymentIntent", self.client.v1.payment_intents.create, params)

    def retrieve_payment_intent(self, pi_id: str) -> dict:
        return self._call("retrieve PaymentIntent", self.client.v1.payment_intents.retrieve, pi_id)

    def confirm_with_card_token(self, pi_id: str, card_token: str) -> dict:
        """Put the card of a Stripe.js token on the PaymentIntent and confirm it server-side.

        Tokens are what both Stripe.js and localstripe's stand-in create from a card element;
        the token's card (``card_…``) is a valid ``payment_method`` for a PaymentIntent.
        """
        token = self._call("retrieve Token", self.client.v1.tokens.retrieve, card_token)
        card_id = (token.get("card") or {}).get("id")
        if not card_id:
            raise GatewayError(DONOR_MESSAGES["processing_error"], "no_card")
        self._call("update PaymentIntent", self.client.v1.payment_intents.update, pi_id,
                   {"payment_method": card_id})
        return self._call("confirm PaymentIntent", self.client.v1.payment_intents.confirm, pi_id)

    def list_payment_intents(self, created_gte: int | None = None,
                             starting_after: str | None = None, limit: int = 100):
        """One page of PaymentIntents: ``(items, has_more, last_id)``; ``created_gte`` is a
        Unix time and ``last_id`` is what the next page starts after.

        The ``created`` filter is applied here, not sent: localstripe rejects the parameter,
        and the sweep reads every page anyway.
        """
        params = {"limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        page = self._call("list PaymentIntents", self.client.v1.payment_intents.list, params)
        items = [pi for pi in page.get("data", [])
                 if created_gte is None or int(pi.get("created", 0)) >= created_gte]
        last = page["data"][-1]["id"] if page.get("data") else None
        return items, bool(page.get("has_more")) and last is not None, last

    def create_refund(self, payment_intent: str, amount_fen: int | None = None) -> dict:
        params = {"payment_intent": payment_intent}
        if amount_fen is not None:
            params["amount"] = amount_fen
        return self._call("create Refund", self.client.v1.refunds.create, params)

    def charge_facts(self, payment_intent: dict) -> tuple[int, str]:
        """``(fee, card fingerprint)`` of the PaymentIntent's charge, from one look at it: the
        processor fee from its balance transaction (0 when Stripe has none yet; localstripe's
        is always 0), and the fingerprint of the card that paid (the same card gives the same
        one across customers), for matching's per-donor caps ("" when there is none)."""
        charge_id = payment_intent.get("latest_charge")
        if isinstance(charge_id, dict):
            charge_id = charge_id.get("id")
        if not charge_id:
            return 0, ""
        charge = self._call("retrieve Charge", self.client.v1.charges.retrieve, charge_id)
        txn_id = charge.get("balance_transaction")
        fee = int(self._call("retrieve BalanceTransaction",
                             self.client.v1.balance_transactions.retrieve, txn_id).get("fee") or 0) \
            if txn_id else 0
        return fee, self._card_fingerprint(charge, payment_intent)

    def _card_fingerprint(self, charge: dict, payment_intent: dict) -> str:
        card = (charge.get("payment_method_details") or {}).get("card") or {}
        method = charge.get("payment_method") or payment_intent.get("payment_method")
        if not card.get("fingerprint") and isinstance(method, str) and method:
            # localstripe's charges carry no payment_method_details; the method has the card.
            try:
                card = self._call("retrieve PaymentMethod", self.client.v1.payment_methods.retrieve,
                                  method).get("card") or {}
            except GatewayError:
                return ""  # the donor's email stands in for the card
        return str(card.get("fingerprint") or "")

    @staticmethod
    def construct_event(payload: bytes, sig_header: str | None, secret: str) -> dict:
        """Verify the signature and parse the event; :class:`SignatureError` otherwise."""
        if not sig_header:
            raise SignatureError(_l("Missing Stripe-Signature header."), "missing_signature")
        try:
            event = stripe.Webhook.construct_event(payload, sig_header, secret)
        except stripe.SignatureVerificationError:
            raise SignatureError(_l("Invalid Stripe-Signature."), "bad_signature") from None
        except (ValueError, AttributeError):  # AttributeError: JSON that is not an object
            raise SignatureError(_l("The webhook body is not valid JSON."), "bad_payload") from None
        event = _plain(event)
        if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
            raise SignatureError(_l("The webhook body is not a Stripe event."), "bad_payload")
        return event

    # -- Stripe reconciliation (finance/stripe_*.py) --

    def _newest_first_page(self, what: str, fn, params: dict, created_gte, created_lt):
        """One page of a newest-first list: ``(items in [created_gte, created_lt), has_more,
        last_id)``. The range is applied here, not sent (localstripe rejects ``created``);
        the listing stops at the first page that reaches below ``created_gte``."""
        page = self._call(what, fn, params)
        data = page.get("data", [])
        items = [o for o in data
                 if (created_gte is None or int(o.get("created", 0)) >= created_gte)
                 and (created_lt is None or int(o.get("created", 0)) < created_lt)]
        last = data[-1]["id"] if data else None
        past = created_gte is not None and bool(data) and int(data[-1].get("created", 0)) < created_gte
        return items, bool(page.get("has_more")) and last is not None and not past, last

    def list_balance_transactions(self, created_gte: int | None = None,
                                  created_lt: int | None = None,
                                  starting_after: str | None = None, payout: str | None = None,
                                  limit: int = 100):
        """One page of balance transactions (see :meth:`_newest_first_page`); ``payout``
        lists those one automatic payout carried (Stripe only: localstripe has none)."""
        params = {"limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        if payout:
            params["payout"] = payout
        return self._newest_first_page("list BalanceTransactions",
                                       self.client.v1.balance_transactions.list, params,
                                       created_gte, created_lt)

    def list_payouts(self, created_gte: int | None = None, created_lt: int | None = None,
                     starting_after: str | None = None, limit: int = 100):
        """One page of payouts, as :meth:`list_balance_transactions`."""
        params = {"limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        return self._newest_first_page("list Payouts", self.client.v1.payouts.list, params,
                                       created_gte, created_lt)

    def source_payment_intent(self, source_id: str) -> str:
        """The PaymentIntent behind a charge (``ch_``/``py_``) or a refund (``re_``); ``""``
        for other sources or when Stripe does not say."""
        if source_id.startswith("re_"):
            refund = self._call("retrieve Refund", self.client.v1.refunds.retrieve, source_id)
            if refund.get("payment_intent"):
                return str(refund["payment_intent"])
            source_id = str(refund.get("charge") or "")
        if source_id.startswith(("ch_", "py_")):
            charge = self._call("retrieve Charge", self.client.v1.charges.retrieve, source_id)
            return str(charge.get("payment_intent") or "")
        return ""

    # -- end Stripe reconciliation --

    # -- monthly giving (donate/recurring.py) --

    def create_customer(self, email: str, card_token: str, metadata: dict) -> dict:
        """A customer whose default card is the one in the Stripe.js token ``card_token``."""
        params = {"email": email, "source": card_token,
                  "metadata": {k: str(v) for k, v in metadata.items()}}
        return self._call("create Customer", self.client.v1.customers.create, params)

    def set_customer_card(self, customer: str, card_token: str) -> dict:
        """Add the token's card to ``customer`` and make it the card renewals charge."""
        card = self._call("add card", self.client.v1.customers.payment_sources.create,
                          customer, {"source": card_token})
        self._call("update Customer", self.client.v1.customers.update, customer,
                   {"default_source": card["id"]})
        return card

    def monthly_plan(self, amount_fen: int, currency: str) -> str:
        """The id of Stripe's monthly plan for this amount, created on first use."""
        plan_id = f"wanjia-monthly-{currency.lower()}-{amount_fen}"
        try:
            return _plain(self.client.v1.plans.retrieve(plan_id))["id"]
        except stripe.InvalidRequestError:
            pass  # not there yet: make it
        params = {"id": plan_id, "amount": amount_fen, "currency": currency.lower(),
                  "interval": "month", "product": {"name": "万家月捐 Wanjia monthly gift"}}
        return self._call("create Plan", self.client.v1.plans.create, params)["id"]

    def create_subscription(self, customer: str, plan_id: str, metadata: dict,
                            trial_end: int | None = None) -> dict:
        """Subscribe ``customer``; the first invoice is charged at once unless ``trial_end``
        (a Unix time) puts the first charge there."""
        params = {"customer": customer, "items": [{"plan": plan_id}],
                  "metadata": {k: str(v) for k, v in metadata.items()}}
        if trial_end:
            params["trial_end"] = int(trial_end)
        return self._call("create Subscription", self.client.v1.subscriptions.create, params)

    def retrieve_subscription(self, sub_id: str) -> dict:
        return self._call("retrieve Subscription", self.client.v1.subscriptions.retrieve, sub_id)

    def cancel_subscription(self, sub_id: str) -> dict:
        return self._call("cancel Subscription", self.client.v1.subscriptions.cancel, sub_id)

    def update_subscription_metadata(self, sub_id: str, metadata: dict) -> dict:
        return self._call("update Subscription", self.client.v1.subscriptions.update, sub_id,
                          {"metadata": {k: str(v) for k, v in metadata.items()}})

    def retrieve_invoice(self, invoice_id: str) -> dict:
        return self._call("retrieve Invoice", self.client.v1.invoices.retrieve, invoice_id)

    def list_invoices(self, sub_id: str) -> list[dict]:
        """The subscription's invoices, newest first (one page of 100 is a plan's eight years)."""
        page = self._call("list Invoices", self.client.v1.invoices.list,
                          {"subscription": sub_id, "limit": 100})
        return list(page.get("data", []))

    def pay_invoice(self, invoice_id: str) -> dict:
        """Charge an open invoice now (after the donor changed the card)."""
        return self._call("pay Invoice", self.client.v1.invoices.pay, invoice_id)
