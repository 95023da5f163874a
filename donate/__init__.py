"""The public: campaign pages, donate and wish flows, Stripe, webhooks, receipts, transparency.

The top layer: may import ``campaigns``, ``ledger`` and ``core``; nothing imports it. Only
``donate.stripe_gateway`` imports ``stripe``.
"""
