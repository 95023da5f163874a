"""The ledger entries matching makes, all in the campaign's own fund.

Pure functions from amounts and codes to :class:`ledger.posting.EntryDraft`; nothing here
touches the database.

==========================  ==============================  ==============================
event                       debit                           credit
==========================  ==============================  ==============================
gift matched, M             pledges receivable M            donation income M
match reversed (refund) R   donation income R               pledges receivable R
sponsor pays P              bank P                          pledges receivable P
==========================  ==============================  ==============================

A held match posts nothing until staff release it. A sponsor's escrow payment made before any
match leaves pledges receivable with a credit balance (money received ahead of the gifts it
will match); matches then bring it back towards zero.
"""
from datetime import date

from ledger import chart
from ledger.posting import EntryDraft, Line

SOURCE = "matching"


def _two_lines(debit: str, credit: str, fund: str, amount: int, currency: str):
    return (Line(debit, fund, amount, currency), Line(credit, fund, -amount, currency))


def match_draft(*, match_id: int, day: date, fund: str, amount: int, currency: str,
                memo: str, posted_by: str = "") -> EntryDraft:
    """The entry of match ``match_id``: receivable from the sponsor, income for the fund."""
    lines = _two_lines(chart.PLEDGES_RECEIVABLE, chart.DONATION_INCOME, fund, amount, currency)
    return EntryDraft(date=day, memo=memo[:500], lines=lines, idempotency_key=f"match:{match_id}",
                      source=SOURCE, posted_by=posted_by)


def match_reversal_draft(*, match_id: int, reversed_total: int, day: date, fund: str,
                         amount: int, currency: str, memo: str) -> EntryDraft:
    """Reverse ``amount`` of a booked match; keyed by the match's cumulative reversed total,
    which only grows, so each step of a series of partial refunds has its own key."""
    lines = _two_lines(chart.DONATION_INCOME, chart.PLEDGES_RECEIVABLE, fund, amount, currency)
    return EntryDraft(date=day, memo=memo[:500], lines=lines, source=SOURCE,
                      idempotency_key=f"match:{match_id}:reversed:{reversed_total}")


def payment_key(pledge_id: int, reference: str) -> str:
    return f"pledge:{pledge_id}:payment:{reference}"


def payment_draft(*, pledge_id: int, reference: str, day: date, shares: dict[str, int],
                  currency: str, memo: str, posted_by: str) -> EntryDraft:
    """A sponsor's payment into the bank, settling the receivable fund by fund (``shares``)."""
    lines = []
    for fund, amount in shares.items():
        lines += _two_lines(chart.BANK, chart.PLEDGES_RECEIVABLE, fund, amount, currency)
    return EntryDraft(date=day, memo=memo[:500], lines=tuple(lines), source=SOURCE,
                      idempotency_key=payment_key(pledge_id, reference)[:200],
                      posted_by=posted_by)
