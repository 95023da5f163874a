"""The ledger entries this feature posts, and the books' date (Shanghai)."""
from datetime import date

from flask_babel import lazy_gettext as _l

from campaigns.homes.state import HomesError
from ledger import chart
from ledger.errors import ClosedPeriod
from ledger.periods import books_date
from ledger.posting import EntryDraft, Line, post_entry

def books_today() -> date:
    return books_date()


def post_dated(session, draft: EntryDraft):
    """``post_entry`` for a date staff chose: a closed month is a refusal they can act on."""
    try:
        return post_entry(session, draft)
    except ClosedPeriod:
        raise HomesError(_l("The books for %(month)s are closed: choose a date in an open month.",
                            month=draft.date.strftime("%Y-%m"))) from None


def two_line(*, key: str, day: date, fund: str, debit: str, credit: str, amount: int,
             currency: str, memo: str, posted_by: str = "") -> EntryDraft:
    """Debit ``debit`` and credit ``credit`` by ``amount`` in one fund."""
    lines = (Line(debit, fund, amount, currency), Line(credit, fund, -amount, currency))
    return EntryDraft(date=day, memo=memo, lines=lines, idempotency_key=key, source="homes",
                      posted_by=posted_by)


def disbursement_draft(d, day: date, by: str) -> EntryDraft:
    return two_line(key=f"disbursement:{d.id}", day=day, fund=d.fund_code,
                    debit=chart.PROGRAM_EXPENSE, credit=chart.BANK, amount=d.amount_fen,
                    currency=d.currency, memo=f"Disbursement #{d.id}: {d.purpose}"[:500],
                    posted_by=by)


def receipt_draft(receipt, order, amount: int) -> EntryDraft:
    return two_line(key=f"goods-receipt:{receipt.id}", day=receipt.received_on,
                    fund=order.fund_code, debit=chart.INVENTORY, credit=chart.SUPPLIER_PAYABLE,
                    amount=amount, currency=order.currency,
                    memo=f"PO #{order.id} received, lot {receipt.lot_number}"[:500])


def payment_draft(payment, order, by: str) -> EntryDraft:
    return two_line(key=f"supplier-payment:{payment.id}", day=payment.paid_on,
                    fund=order.fund_code, debit=chart.SUPPLIER_PAYABLE, credit=chart.BANK,
                    amount=payment.amount_fen, currency=order.currency,
                    memo=f"PO #{order.id} paid", posted_by=by)


def delivery_draft(dist, day: date) -> EntryDraft:
    return two_line(key=f"delivery:{dist.id}", day=day, fund=dist.recipe.fund_code,
                    debit=chart.PROGRAM_EXPENSE, credit=chart.INVENTORY,
                    amount=dist.recipe.pack_cost_fen, currency="CNY",
                    memo=f"Gift pack delivered (distribution #{dist.id})")
