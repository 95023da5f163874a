"""The ledger entries a gift makes: success, refund, dispute opened and closed.

Pure functions from amounts and fund codes to :class:`ledger.posting.EntryDraft`; nothing
here touches the database, so the textbook cases can be read and tested in one place.
Every entry balances per fund: when the general fund bears the processor fee of a gift
designated elsewhere, the fee travels through the interfund account.

=====================  ==========================================  ===========================
event                  debit                                       credit
=====================  ==========================================  ===========================
gift G, fee F          processor clearing G [designated]           donation income G [designated]
                       fundraising expense F [bearer]              processor clearing F [designated]
                       (+ interfund F [designated] / interfund F [bearer] when they differ)
refund R               donation income R, and the fee pro rata      processor clearing R …
dispute opened A       disputes held A                             processor clearing A
dispute won A          processor clearing A                        disputes held A
dispute lost A         donation income A                           disputes held A
=====================  ==========================================  ===========================
"""
from datetime import date

from ledger import chart
from ledger.money import Money
from ledger.posting import EntryDraft, Line

def fee_lines(fund: str, bearer: str, fee: int, currency: str) -> list[Line]:
    """Fee ``fee`` (signed: negative reverses) charged to ``bearer`` for a gift in ``fund``."""
    if fee == 0:
        return []
    if bearer == fund:
        return [Line(chart.FUNDRAISING_EXPENSE, fund, fee, currency),
                Line(chart.PROCESSOR_CLEARING, fund, -fee, currency)]
    return [Line(chart.FUNDRAISING_EXPENSE, bearer, fee, currency),
            Line(chart.INTERFUND, bearer, -fee, currency),
            Line(chart.INTERFUND, fund, fee, currency),
            Line(chart.PROCESSOR_CLEARING, fund, -fee, currency)]


def gift_draft(*, key: str, day: date, fund: str, fee_fund: str, gross: int, fee: int,
               currency: str, memo: str, source: str = "donate") -> EntryDraft:
    """The entry of a gift of ``gross`` whose processor kept ``fee``."""
    lines = [Line(chart.PROCESSOR_CLEARING, fund, gross, currency),
             Line(chart.DONATION_INCOME, fund, -gross, currency)]
    lines += fee_lines(fund, fee_fund, fee, currency)
    return EntryDraft(date=day, memo=memo, lines=tuple(lines), idempotency_key=key, source=source)


def refund_fee_share(fee: int, gross: int, refunded_before: int, refund: int, currency: str) -> int:
    """The part of ``fee`` that a refund of ``refund`` reverses, pro rata.

    Computed on the cumulative refunded amount with :meth:`Money.allocate` (largest
    remainder), so that partial refunds adding up to the whole gift reverse exactly ``fee``.
    """
    def share(refunded: int) -> int:
        if refunded >= gross:
            return fee
        if refunded <= 0:
            return 0
        return Money(fee, currency).allocate([refunded, gross - refunded])[0].amount

    return share(refunded_before + refund) - share(refunded_before)


def refund_draft(*, key: str, day: date, fund: str, fee_fund: str, amount: int, fee_share: int,
                 currency: str, memo: str, posted_by: str = "") -> EntryDraft:
    """The entry of a refund of ``amount`` that also reverses ``fee_share`` of the fee."""
    lines = [Line(chart.DONATION_INCOME, fund, amount, currency),
             Line(chart.PROCESSOR_CLEARING, fund, -amount, currency)]
    lines += fee_lines(fund, fee_fund, -fee_share, currency)
    return EntryDraft(date=day, memo=memo, lines=tuple(lines), idempotency_key=key,
                      source="donate", posted_by=posted_by)


def dispute_draft(*, key: str, day: date, fund: str, amount: int, outcome: str,
                  currency: str, memo: str) -> EntryDraft:
    """``outcome``: ``open`` holds the amount, ``won`` returns it, ``lost`` gives it up."""
    debit, credit = {
        "open": (chart.DISPUTES_HELD, chart.PROCESSOR_CLEARING),
        "won": (chart.PROCESSOR_CLEARING, chart.DISPUTES_HELD),
        "lost": (chart.DONATION_INCOME, chart.DISPUTES_HELD),
    }[outcome]
    lines = (Line(debit, fund, amount, currency), Line(credit, fund, -amount, currency))
    return EntryDraft(date=day, memo=memo, lines=lines, idempotency_key=key, source="donate")
