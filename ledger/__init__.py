"""The books: a double-entry fund-accounting ledger.

The engine (``money``, ``models``, ``posting``, ``balances``, ``periods``, ``verify``,
``reports``, ``export``) is plain SQLAlchemy: it imports no Flask and nothing from
``campaigns`` or ``donate``. ``views``, ``forms`` and ``cli`` are the Flask edge for finance
officers. This ``__init__`` stays empty so importing the engine pulls in no Flask.
"""
