"""Benchmarks: ``make bench`` (``python -m bench``) runs every module here that has a
``run`` function and writes ``bench/results/latest.json``; each also runs alone
(``python -m bench.ledger --postings 1000000``). See docs/bench.md for how to read them.

This package sits beside the app: it drives the engines directly and is never imported by
the app, and nothing in it runs at import time.
"""
