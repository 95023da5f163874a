"""Stripe reconciliation: store balance lines, match each to the books by its source object,
post what the books lack (processor fees, payouts), and leave the rest unmatched with a reason.

A line is *matched* when the books hold its counterpart and the counterpart moved processor
clearing by exactly the line's net amount. Lines are matched by their source:

==================  ==============================================  ==========================
category            counterpart in the books                        posted here when missing
==================  ==============================================  ==========================
charge / payment    the Donation by payment_intent_id, its entry    the fee (books say 0)
refund              the DonationRefund by ``re_…``                  —
dispute (reversal)  the DonationDispute by ``dp_…``                 the dispute fee
fee                 —                                               the fee (general fund)
payout              the StripePayout                                clearing → bank per fund
==================  ==============================================  ==========================

Everything flushes and never commits; idempotency keys (``stripe:<txn>:fee``,
``stripe:<po>:payout``) make a second run post nothing.
"""
import dataclasses
from collections import defaultdict

import sqlalchemy as sa

from donate.booking import fee_lines
from donate.models import Donation, DonationDispute, DonationRefund
from donate.services import fee_fund
from finance.stripe_csv import ParsedLine, parse_stripe_csv
from finance.stripe_models import StripeBalanceLine, StripePayout
from ledger import chart
from ledger.models import Account, Posting
from ledger.periods import books_date, post_in_open_month
from ledger.posting import EntryDraft, Line

#: Categories of charges, as Stripe names them in reports and on balance transactions.
CHARGES = ("charge", "payment")
DISPUTES = ("dispute", "dispute_reversal")
_CHUNK = 500


@dataclasses.dataclass
class ReconcileResult:
    new: int = 0
    seen: int = 0
    matched: int = 0
    unmatched: int = 0
    payouts_posted: int = 0


# -- storing -------------------------------------------------------------------------------

def line_fields(line: ParsedLine) -> dict:
    """A parsed CSV line as the columns of :class:`StripeBalanceLine`."""
    fields = dataclasses.asdict(line)
    fields.pop("line_no")
    fields.pop("payout_effective_utc")
    return fields


def store_lines(session, rows: list[dict], origin: str) -> tuple[int, int]:
    """Store each row once by its ``balance_transaction_id``: ``(new, already there)``.

    A known line is left as it is, except that it learns its payout when a later import
    (the payout reconciliation report after the activity report) says which one carried it.
    """
    ids = [row["balance_transaction_id"] for row in rows]
    known = {}
    for start in range(0, len(ids), _CHUNK):
        known.update((line.balance_transaction_id, line) for line in session.scalars(
            sa.select(StripeBalanceLine)
            .where(StripeBalanceLine.balance_transaction_id.in_(ids[start:start + _CHUNK]))))
    for row in rows:
        line = known.get(row["balance_transaction_id"])
        if line is None:
            session.add(StripeBalanceLine(origin=origin, **row))
        elif row.get("payout_id") and not line.payout_id:
            line.payout_id = row["payout_id"]
    session.flush()
    return len(rows) - len(known), len(known)


def store_payout(session, payout_id: str, amount_fen: int, currency: str, effective_utc) -> bool:
    """Record a payout once by its ``po_…`` id; True when it is new."""
    if session.scalar(sa.select(StripePayout.id).filter_by(payout_id=payout_id)):
        return False
    session.add(StripePayout(payout_id=payout_id, amount_fen=amount_fen, currency=currency,
                             effective_utc=effective_utc))
    session.flush()
    return True


def payouts_in_file(lines: list[ParsedLine]) -> dict[str, tuple]:
    """``{po_…: (amount, currency, effective)}``: from a payout's own line when the file has
    one, otherwise from the lines it carried (the payout reconciliation report)."""
    out, carried = {}, defaultdict(list)
    for line in lines:
        if line.reporting_category == "payout" and line.source_id:
            out[line.source_id] = (-line.gross_fen, line.currency, line.created_utc)
        elif line.payout_id:
            carried[line.payout_id].append(line)
    for payout_id, items in carried.items():
        if payout_id not in out:
            when = next((i.payout_effective_utc for i in items if i.payout_effective_utc),
                        max(i.created_utc for i in items))
            out[payout_id] = (sum(i.net_fen for i in items), items[0].currency, when)
    return out


def import_stripe_csv(session, data: bytes) -> ReconcileResult:
    """Import one itemised report and reconcile; StripeFileError (nothing written) if bad."""
    lines = parse_stripe_csv(data)
    new, seen = store_lines(session, [line_fields(line) for line in lines], "csv")
    for payout_id, (amount, currency, when) in payouts_in_file(lines).items():
        if amount > 0:
            store_payout(session, payout_id, amount, currency, when)
    return reconcile_stripe(session, ReconcileResult(new=new, seen=seen))


# -- matching ------------------------------------------------------------------------------

def reconcile_stripe(session, result: ReconcileResult | None = None) -> ReconcileResult:
    """Match every unmatched line, then post every payout whose lines are all known."""
    result = result or ReconcileResult()
    pending = session.scalars(sa.select(StripeBalanceLine).filter_by(status="unmatched")
                              .where(StripeBalanceLine.reporting_category != "payout")
                              .order_by(StripeBalanceLine.id)).all()
    for line in pending:
        match_line(session, line)
    for payout in session.scalars(sa.select(StripePayout).filter_by(status="unmatched")
                                  .order_by(StripePayout.id)).all():
        result.payouts_posted += post_payout(session, payout)
    counts = dict(session.execute(sa.select(StripeBalanceLine.status, sa.func.count())
                                  .group_by(StripeBalanceLine.status)).all())
    result.matched, result.unmatched = counts.get("matched", 0), counts.get("unmatched", 0)
    session.flush()
    return result


def match_line(session, line: StripeBalanceLine) -> None:
    category = line.reporting_category
    if category in CHARGES:
        _match_charge(session, line)
    elif category == "refund":
        _match_refund(session, line)
    elif category in DISPUTES:
        _match_dispute(session, line)
    elif category == "fee":
        _post_fee(session, line, None, -line.gross_fen)
        _settle(session, line, [], "amount_differs")
    else:
        _unmatched(line, "unknown_category", None)


def _donation_by_pi(session, payment_intent_id: str) -> Donation | None:
    if not payment_intent_id:
        return None
    return session.scalar(sa.select(Donation).filter_by(stripe_payment_intent=payment_intent_id))


def _attach(line: StripeBalanceLine, donation: Donation | None) -> None:
    if donation is not None:
        line.donation_id, line.fund_code = donation.id, donation.designation.fund_code


def _match_charge(session, line: StripeBalanceLine) -> None:
    donation = _donation_by_pi(session, line.payment_intent_id)
    _attach(line, donation)
    if donation is None:
        return _unmatched(line, "no_donation", 0)
    if donation.entry_id is None:
        return _unmatched(line, "not_booked", 0)
    same_gross = line.gross_fen == donation.amount_fen
    if same_gross and line.fee_fen and not donation.fee_fen and line.fee_entry_id is None:
        # Stripe told us the fee only now (localstripe and the webhook path book 0).
        _post_fee(session, line, donation, line.fee_fen)
        donation.fee_fen = line.fee_fen
    line.entry_id = donation.entry_id
    _settle(session, line, [donation.entry_id], "fee_differs" if same_gross else "amount_differs")


def _match_refund(session, line: StripeBalanceLine) -> None:
    refund = session.scalar(sa.select(DonationRefund).filter_by(stripe_refund=line.source_id))
    donation = session.get(Donation, refund.donation_id) if refund else \
        _donation_by_pi(session, line.payment_intent_id)
    _attach(line, donation)
    if refund is None or refund.entry_id is None:
        return _unmatched(line, "no_refund", 0)
    line.entry_id = refund.entry_id
    _settle(session, line, [refund.entry_id], "amount_differs")


def _match_dispute(session, line: StripeBalanceLine) -> None:
    dispute = session.scalar(sa.select(DonationDispute).filter_by(stripe_dispute=line.source_id))
    donation = session.get(Donation, dispute.donation_id) if dispute else \
        _donation_by_pi(session, line.payment_intent_id)
    _attach(line, donation)
    entry_id = None
    if dispute is not None:
        entry_id = dispute.opened_entry_id if line.reporting_category == "dispute" \
            else dispute.closed_entry_id
    if entry_id is None:
        return _unmatched(line, "no_dispute", 0)
    if line.fee_fen and line.fee_entry_id is None:
        _post_fee(session, line, donation, line.fee_fen)  # the books never hold dispute fees
    line.entry_id = entry_id
    _settle(session, line, [entry_id], "amount_differs")


def _post_fee(session, line: StripeBalanceLine, donation: Donation | None, fee: int) -> None:
    """Fundraising expense / processor clearing, in the gift's funds (general if none)."""
    fund = donation.designation.fund_code if donation else chart.GENERAL_FUND
    bearer = fee_fund(donation) if donation else chart.GENERAL_FUND
    draft = EntryDraft(
        date=books_date(line.created_utc), source="stripe",
        memo=f"Stripe fee {line.balance_transaction_id}"
             + (f" of gift #{donation.id}" if donation else ""),
        lines=tuple(fee_lines(fund, bearer, fee, line.currency)),
        idempotency_key=f"stripe:{line.balance_transaction_id}:fee")
    line.fee_entry_id = post_in_open_month(session, draft).id
    line.fund_code = line.fund_code or fund


def clearing_movement(session, entry_ids) -> int:
    """How much the entries moved processor clearing, all funds (debit positive)."""
    ids = [i for i in entry_ids if i]
    if not ids:
        return 0
    return int(session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Posting.amount), 0))
        .join(Account, Account.id == Posting.account_id)
        .where(Account.code == chart.PROCESSOR_CLEARING, Posting.entry_id.in_(ids))))


def _settle(session, line: StripeBalanceLine, entry_ids: list, reason: str) -> None:
    books = clearing_movement(session, [*entry_ids, line.fee_entry_id])
    if books == line.net_fen:
        line.status, line.reason, line.books_fen = "matched", "", None
    else:
        _unmatched(line, reason, books)


def _unmatched(line: StripeBalanceLine, reason: str, books_fen: int | None) -> None:
    line.status, line.reason, line.books_fen = "unmatched", reason, books_fen


# -- payouts -------------------------------------------------------------------------------

def payout_lines(session, payout_id: str) -> list[StripeBalanceLine]:
    return list(session.scalars(
        sa.select(StripeBalanceLine).filter_by(payout_id=payout_id)
        .where(StripeBalanceLine.reporting_category != "payout")
        .order_by(StripeBalanceLine.id)))


def payout_split(lines: list[StripeBalanceLine]) -> dict[str, int]:
    """``{fund: net}`` of the lines a payout carried; a line of no known fund under ``""``.

    The net goes to the gift's designated fund, fee included: the fee's clearing line is
    in the designated fund too (``donate.booking.fee_lines``), only its expense is not.
    """
    split = defaultdict(int)
    for line in lines:
        split[line.fund_code] += line.net_fen
    return dict(split)


def post_payout(session, payout: StripePayout) -> int:
    """Book clearing → bank per fund once every carried line is known; 1 if posted now."""
    lines = payout_lines(session, payout.payout_id)
    split = payout_split(lines)
    if not lines or sum(split.values()) != payout.amount_fen:
        payout.reason = "lines_missing"
        return 0
    if "" in split:
        payout.reason = "lines_unknown"
        return 0
    entry_lines = []
    for fund, amount in sorted(split.items()):
        if amount:
            entry_lines += [Line(chart.BANK, fund, amount, payout.currency),
                            Line(chart.PROCESSOR_CLEARING, fund, -amount, payout.currency)]
    entry = post_in_open_month(session, EntryDraft(
        date=books_date(payout.effective_utc), memo=f"Stripe payout {payout.payout_id}",
        lines=tuple(entry_lines), idempotency_key=f"stripe:{payout.payout_id}:payout",
        source="stripe"))
    payout.status, payout.reason, payout.entry_id = "matched", "", entry.id
    for own in session.scalars(sa.select(StripeBalanceLine).filter_by(
            reporting_category="payout", source_id=payout.payout_id)):
        own.status, own.reason, own.entry_id = "matched", "", entry.id
    return 1
