"""What the Stripe reconciliation says about a period: the unmatched items on both sides, and
whether Stripe's balance movement and the books' processor clearing agree once those items
are accounted for. Also the two Stripe checks of the month-end close.

Stripe's side of a month is the net of its balance lines created in the month less the
payouts that left in it; the books' side is what entries dated in the month moved processor
clearing. Every unmatched item explains part of the difference (Stripe's amount less the
books'); what is left, ``unexplained_fen``, is zero when the reconciliation is complete.
"""
import dataclasses
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l


from donate.models import Donation, DonationRefund
from finance.checklist import CheckResult, register_check
from finance.stripe_models import StripeBalanceLine, StripePayout
from finance.stripe_recon import CHARGES, clearing_movement
from ledger import chart
from ledger.models import Account, JournalEntry, Posting
from ledger.periods import utc_bounds

#: Why an item is unmatched, by the code stored on the line or payout.
REASONS = {
    "no_donation": _l("No donation for %(ref)s in the books."),
    "not_booked": _l("The donation for %(ref)s is not booked yet."),
    "no_refund": _l("Refund %(ref)s is not in the books."),
    "no_dispute": _l("Dispute %(ref)s is not in the books."),
    "fee_differs": _l("The fee differs: %(stripe)s at Stripe, %(books)s in the books."),
    "amount_differs": _l("The amounts differ: %(stripe)s net at Stripe, %(books)s in the books."),
    "unknown_category": _l("Stripe's category %(ref)s is not reconciled automatically."),
    "lines_missing": _l("The payout's lines are not all imported."),
    "lines_unknown": _l("The payout carries lines that are not in the books yet."),
    "books_only": _l("In the books, not at Stripe."),
}


@dataclasses.dataclass(frozen=True)
class Item:
    """One unmatched item; ``stripe_fen`` less ``books_fen`` is what it explains."""

    side: str  # "stripe" or "books"
    kind: str  # a reporting category, or "payout"
    ref: str
    reason: str
    stripe_fen: int
    books_fen: int
    #: For a fee difference: the two fees (Stripe's, the books').
    fees: tuple[int, int] | None = None


@dataclasses.dataclass(frozen=True)
class Summary:
    stripe_fen: int
    books_fen: int
    items: list

    @property
    def explained_fen(self) -> int:
        return sum(i.stripe_fen - i.books_fen for i in self.items)

    @property
    def unexplained_fen(self) -> int:
        return self.stripe_fen - self.books_fen - self.explained_fen




def _lines_in(start: date, end: date):
    low, high = utc_bounds(start, end)
    return (StripeBalanceLine.created_utc >= low, StripeBalanceLine.created_utc < high,
            StripeBalanceLine.reporting_category != "payout")


def _payouts_in(start: date, end: date):
    low, high = utc_bounds(start, end)
    return StripePayout.effective_utc >= low, StripePayout.effective_utc < high


def reason_text(item: Item, money) -> str:
    """The item's reason in the user's language; ``money`` formats minor units."""
    values = {"ref": item.ref, "stripe": money(item.stripe_fen), "books": money(item.books_fen)}
    if item.fees:
        values.update(stripe=money(item.fees[0]), books=money(item.fees[1]))
    return str(REASONS[item.reason]) % values


def unmatched_items(session, start: date, end: date) -> list[Item]:
    items = []
    for line in session.scalars(sa.select(StripeBalanceLine).filter_by(status="unmatched")
                                .where(*_lines_in(start, end)).order_by(StripeBalanceLine.id)):
        books = line.books_fen or 0
        ref = line.reporting_category if line.reason == "unknown_category" else \
            (line.payment_intent_id if line.reporting_category in CHARGES else line.source_id)
        fees = (line.fee_fen, line.gross_fen - books) if line.reason == "fee_differs" else None
        items.append(Item("stripe", line.reporting_category, ref or line.balance_transaction_id,
                          line.reason, line.net_fen, books, fees))
    for payout in session.scalars(sa.select(StripePayout).filter_by(status="unmatched")
                                  .where(*_payouts_in(start, end)).order_by(StripePayout.id)):
        items.append(Item("stripe", "payout", payout.payout_id, payout.reason or "lines_missing",
                          -payout.amount_fen, 0))
    return items + books_only_items(session, start, end)


def books_only_items(session, start: date, end: date) -> list[Item]:
    """Online gifts and refunds booked in the period that no Stripe line accounts for."""
    line = StripeBalanceLine
    gifts = (sa.select(Donation.stripe_payment_intent, Donation.entry_id)
             .join(JournalEntry, JournalEntry.id == Donation.entry_id)
             .where(Donation.stripe_payment_intent.is_not(None),
                    JournalEntry.entry_date.between(start, end),
                    ~sa.exists().where(line.payment_intent_id == Donation.stripe_payment_intent,
                                       line.reporting_category.in_(CHARGES))))
    refunds = (sa.select(DonationRefund.stripe_refund, DonationRefund.entry_id)
               .join(JournalEntry, JournalEntry.id == DonationRefund.entry_id)
               .join(Donation, Donation.id == DonationRefund.donation_id)
               .where(JournalEntry.entry_date.between(start, end),
                      Donation.stripe_payment_intent.is_not(None),
                      ~sa.exists().where(line.source_id == DonationRefund.stripe_refund)))
    items = []
    for kind, query in (("charge", gifts), ("refund", refunds)):
        for ref, entry_id in session.execute(query.order_by(JournalEntry.id)):
            items.append(Item("books", kind, ref, "books_only", 0,
                              clearing_movement(session, [entry_id])))
    return items


def _clearing_in(session, start: date, end: date) -> int:
    """What the entries dated ``start``..``end`` moved processor clearing, all funds."""
    return int(session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Posting.amount), 0))
        .join(Account, Account.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Account.code == chart.PROCESSOR_CLEARING,
               JournalEntry.entry_date.between(start, end))))


def reconciliation_summary(session, start: date, end: date) -> Summary:
    lines = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(StripeBalanceLine.net_fen), 0))
                           .where(*_lines_in(start, end)))
    payouts = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(StripePayout.amount_fen), 0))
                             .where(*_payouts_in(start, end)))
    return Summary(int(lines) - int(payouts), _clearing_in(session, start, end),
                   unmatched_items(session, start, end))


# -- the month-end checks ------------------------------------------------------------------

def _count(session, model, *where) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)
                          .where(model.status == "unmatched", *where))


@register_check("stripe_payouts_matched", _l("Every Stripe payout of the month is booked"))
def check_payouts(session, start: date, end: date) -> CheckResult:
    open_ = _count(session, StripePayout, *_payouts_in(start, end))
    return CheckResult(not open_, _("%(count)s payouts are not booked.", count=open_) if open_
                       else _("All payouts booked."), "finance_stripe.payouts")


@register_check("stripe_lines_matched", _l("No unmatched Stripe lines"))
def check_lines(session, start: date, end: date) -> CheckResult:
    open_ = _count(session, StripeBalanceLine, *_lines_in(start, end))
    return CheckResult(not open_, _("%(count)s Stripe lines are unmatched.", count=open_)
                       if open_ else _("Every Stripe line is matched."), "finance_stripe.unmatched")
