"""Offline gifts: cash and bank transfers that staff record by hand.

An offline gift is an ordinary :class:`donate.models.Donation` (status succeeded, channel
``cash`` or ``bank_transfer``, a unique ``source_ref``), booked at once and given the next
receipt number of the same gapless sequence as online gifts::

    cash            debit 1001 cash           [designated fund]   credit 4101 donation income
    bank_transfer   debit 1002 bank deposits  [designated fund]   credit 4101 donation income

Never processor clearing: no processor touched the money. A bank-transfer gift then waits
"to be matched" until a bank statement line is matched with its bank posting.
"""
import dataclasses
import uuid
from datetime import date, datetime, time, timezone

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.audit import actor_label, record_audit
from donate import receipts, state
from donate.services import queue_receipt

from donate.models import Donation
from finance.bank_models import BankMatchPosting
from ledger import chart
from ledger.models import Account, Posting
from ledger.periods import BOOKS_TZ
from ledger.posting import EntryDraft, Line, post_entry

CHANNELS = ("cash", "bank_transfer")
DEBIT_ACCOUNT = {"cash": chart.CASH, "bank_transfer": chart.BANK}


class OfflineGiftError(ValueError):
    """A gift that must be refused; ``field`` names the form field, ``message`` is safe to show."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message, self.field = message, field


@dataclasses.dataclass(frozen=True)
class OfflineGift:
    """What staff write down about a gift received outside the website."""

    campaign: object
    designation: object
    donor_name: str
    amount_fen: int
    channel: str
    gift_date: date
    collected_by: str
    email: str = ""
    #: The bank account's ledger account a transfer arrived on (1002 unless told).
    bank_account_code: str = chart.BANK


def offline_gift_draft(gift: OfflineGift, *, key: str, memo: str) -> EntryDraft:
    """The gift's entry: cash or bank against donation income, in the designated fund."""
    debit = gift.bank_account_code if gift.channel == "bank_transfer" else chart.CASH
    fund, currency = gift.designation.fund_code, gift.campaign.currency
    lines = (Line(debit, fund, gift.amount_fen, currency),
             Line(chart.DONATION_INCOME, fund, -gift.amount_fen, currency))
    return EntryDraft(date=gift.gift_date, memo=memo[:500], lines=lines, idempotency_key=key,
                      source="offline")


def check_offline_gift(gift: OfflineGift) -> None:
    if gift.channel not in CHANNELS:
        raise OfflineGiftError(_l("Choose cash or bank transfer."), "channel")
    if gift.campaign.kind != "pooled":
        raise OfflineGiftError(_l("Offline gifts are recorded for pooled drives; a micro-wish "
                                  "is funded on its own page."), "campaign")
    if gift.designation is None or gift.designation.campaign_id != gift.campaign.id:
        raise OfflineGiftError(_l("Choose one of this drive's designations."), "designation")
    if gift.amount_fen <= 0:
        raise OfflineGiftError(_l("The amount must be more than zero."), "amount")
    if not gift.donor_name.strip():
        raise OfflineGiftError(_l("Write the donor's name (or 匿名 for an anonymous gift)."),
                               "donor_name")
    if not gift.collected_by.strip():
        raise OfflineGiftError(_l("Say who collected the gift."), "collected_by")


def record_offline_gift(session, gift: OfflineGift, *, actor, source_ref: str | None = None,
                        key: str | None = None) -> Donation:
    """Record and book ``gift``; flushes only. ``source_ref`` and ``key`` default to a new
    ``offline:…`` reference and the donation's own booking key (a bank line passes its own)."""
    check_offline_gift(gift)
    ref = source_ref or f"offline:{uuid.uuid4().hex[:16]}"
    donation = Donation(
        campaign=gift.campaign, designation=gift.designation, amount_fen=gift.amount_fen,
        currency=gift.campaign.currency, status=state.SUCCEEDED, channel=gift.channel,
        donor_name=gift.donor_name.strip()[:60], email=gift.email.strip().lower(),
        collected_by=gift.collected_by.strip()[:60], source_ref=ref,
        succeeded_at=_noon_utc(gift.gift_date))
    session.add(donation)
    session.flush()
    memo = (f"Offline gift #{donation.id} ({gift.channel}) from {donation.donor_name} to "
            f"{gift.campaign.slug}, collected by {gift.collected_by.strip()}")
    entry = post_entry(session, offline_gift_draft(gift, key=key or donation.booking_key,
                                                   memo=memo))
    donation.entry_id = entry.id
    donation.receipt_number = receipts.take_receipt_number(session, entry.entry_date.year)
    if donation.email:
        queue_receipt(session, donation)
    session.flush()
    record_audit(session, actor, "offline.gift", donation, None, {
        "amount": donation.amount_fen, "channel": gift.channel, "date": gift.gift_date,
        "fund": gift.designation.fund_code, "donor": donation.donor_name,
        "collected_by": gift.collected_by.strip(), "entry": entry.id,
        "receipt": donation.receipt_number, "recorded_by": actor_label(actor)})
    return donation


def _noon_utc(day: date) -> datetime:
    """Noon of ``day`` in the books' time zone, as naive UTC (the gift's books date is ``day``)."""
    local = datetime.combine(day, time(12), tzinfo=BOOKS_TZ)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def offline_gifts(session, *, to_be_matched: bool = False) -> list[tuple[Donation, bool]]:
    """Offline gifts, newest first, each with whether a bank line matches its bank posting.

    ``to_be_matched`` keeps the bank transfers that no bank line explains yet.
    """
    bank_codes = sa.select(Account.id).where(Account.code.startswith(chart.BANK))
    matched = (sa.select(Posting.entry_id)
               .join(BankMatchPosting, BankMatchPosting.posting_id == Posting.id)
               .where(Posting.account_id.in_(bank_codes)))
    rows = session.execute(
        sa.select(Donation, Donation.entry_id.in_(matched))
        .where(Donation.channel.in_(CHANNELS))
        .order_by(Donation.id.desc())).all()
    out = [(d, bool(m)) for d, m in rows]
    if to_be_matched:
        out = [(d, m) for d, m in out if d.channel == "bank_transfer" and not m]
    return out
