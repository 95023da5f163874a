"""The finance office, issue #8: reconciliation with Stripe and the bank, offline gifts,
month-end close, statements and exports. The top layer: it may import ``donate``,
``campaigns``, ``ledger`` and ``core``; nothing imports it but ``wsgi``. The engines it
relies on (balances, reports, periods) stay in ``ledger`` and know no Flask."""
