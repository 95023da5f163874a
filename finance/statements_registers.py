"""Registers read from the giving side: the donations register and the sponsor statements.

Both are dated the way the books are, so that they agree with the ledger statements and a
closed month's register never changes: a gift by its ledger entry's date (a gift that
arrived after its month closed is booked, and listed, in the next open month), a refund by
its own entry's date (the register shows what was refunded by the end of the range), a
sponsor payment by its ledger entry's date, a match by its gift's books day.
"""
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from campaigns.matching.models import Match, MatchingPledge, PledgeEvent, Sponsor
from campaigns.matching.state import MATCHED, STATUS_LABELS
from donate.models import Donation, DonationRefund
from donate.state import BOOKED_STATUSES
from finance.statements_tables import TOTAL, Column, Table, period_text
from ledger.models import JournalEntry


def _channel(channel: str) -> str:
    labels = {"online": _("Online"), "bank_transfer": _("Bank transfer"), "cash": _("Cash")}
    return labels.get(channel, channel)


def _donor(gift: Donation) -> str:
    """The donor's name, or 匿名 for a gift made anonymously or without a name."""
    name = (gift.donor_name or "").strip()
    return name if name and not gift.anonymous else _("Anonymous")


def _refunded_by(session: Session, end: date) -> dict[int, int]:
    """``{donation_id: fen refunded by entries dated up to end}``."""
    query = (sa.select(DonationRefund.donation_id, sa.func.sum(DonationRefund.amount_fen))
             .join(JournalEntry, JournalEntry.id == DonationRefund.entry_id)
             .where(JournalEntry.entry_date <= end).group_by(DonationRefund.donation_id))
    return {d: int(total or 0) for d, total in session.execute(query)}


def booked_gifts(select, currency: str):
    """``select`` narrowed to the register's gifts: booked, in ``currency``, joined to their
    ledger entry, whose date is the gift's books day (the register and its charts share it)."""
    return (select.join(JournalEntry, JournalEntry.id == Donation.entry_id)
            .where(Donation.currency == currency, Donation.status.in_(BOOKED_STATUSES)))


def gifts_by_day(session: Session, campaign_id: int, currency: str) -> list[tuple[date, int, int]]:
    """``(books day, gifts, amount)`` per day of a campaign's register gifts, oldest first:
    the register's daily count and Amount column."""
    query = (booked_gifts(sa.select(JournalEntry.entry_date, sa.func.count(Donation.id),
                                    sa.func.sum(Donation.amount_fen)), currency)
             .where(Donation.campaign_id == campaign_id)
             .group_by(JournalEntry.entry_date).order_by(JournalEntry.entry_date))
    return [(day, int(count), int(total or 0)) for day, count, total in session.execute(query)]


def donations_table(session: Session, start: date, end: date, loc: str, *,
                    show_donor: bool, currency: str = "CNY") -> Table:
    """Every booked gift dated ``start``..``end``; the donor column only for ``show_donor``."""
    columns = [Column(_("Date")), Column(_("Receipt number"))]
    columns += [Column(_("Donor"))] if show_donor else []
    columns += [Column(_("Channel")), Column(_("Drive")), Column(_("Designation")),
                Column(_("Amount"), money=True), Column(_("Refunded"), money=True),
                Column(_("Net"), money=True)]
    table = Table(f"donations-{start}-{end}", _("Donations register"), period_text(start, end),
                  columns, currency=currency)
    query = (booked_gifts(sa.select(Donation, JournalEntry.entry_date), currency)
             .where(JournalEntry.entry_date.between(start, end))
             .order_by(JournalEntry.entry_date, JournalEntry.id))
    refunded, totals = _refunded_by(session, end), [0, 0]
    for gift, day in session.execute(query):
        back = refunded.get(gift.id, 0)
        donor = [_donor(gift)] if show_donor else []
        table.add(str(gift.id), day.isoformat(), gift.receipt_number or "", *donor,
                  _channel(gift.channel), gift.campaign.title(loc), gift.designation.label(loc),
                  gift.amount_fen, back, gift.amount_fen - back)
        totals = [totals[0] + gift.amount_fen, totals[1] + back]
    blanks = [""] * (len(columns) - 5)
    table.add("total", _("Total"), _("%(count)d gifts", count=len(table.rows)), *blanks,
              totals[0], totals[1], totals[0] - totals[1], kind=TOTAL)
    return table


def _matched(session: Session, until: date, since: date | None = None) -> dict[int, tuple]:
    """``{pledge_id: (gifts, fen)}``: booked matches net of reversals, by the gift's books day
    (what ``campaigns.matching.services.pledge_statement`` counts, within dates)."""
    where = [Match.status == MATCHED, Match.amount_fen > Match.reversed_fen,
             Match.books_day <= until]
    if since:
        where.append(Match.books_day >= since)
    query = (sa.select(Match.pledge_id, sa.func.count(sa.distinct(Match.donation_id)),
                       sa.func.sum(Match.amount_fen - Match.reversed_fen))
             .where(*where).group_by(Match.pledge_id))
    return {p: (int(n), int(fen or 0)) for p, n, fen in session.execute(query)}


def _paid(session: Session, until: date, since: date | None = None) -> dict[int, int]:
    """``{pledge_id: fen}`` of sponsor payments by the date of their ledger entry."""
    where = [PledgeEvent.action == "payment", JournalEntry.entry_date <= until]
    if since:
        where.append(JournalEntry.entry_date >= since)
    query = (sa.select(PledgeEvent.pledge_id, sa.func.sum(PledgeEvent.amount_fen))
             .join(JournalEntry, JournalEntry.id == PledgeEvent.entry_id)
             .where(*where).group_by(PledgeEvent.pledge_id))
    return {p: int(fen or 0) for p, fen in session.execute(query)}


def sponsors_table(session: Session, start: date, end: date, loc: str,
                   currency: str = "CNY") -> Table:
    """Per pledge: gifts matched and paid in the range, and what is outstanding at its end."""
    table = Table(f"sponsors-{start}-{end}", _("Sponsor statements"), period_text(start, end),
                  [Column(_("Sponsor")), Column(_("Pledge")), Column(_("Status")),
                   Column(_("Gifts matched")), Column(_("Matched"), money=True),
                   Column(_("Paid"), money=True), Column(_("Outstanding"), money=True)],
                  currency=currency)
    matched, paid = _matched(session, end, start), _paid(session, end, start)
    matched_ever, paid_ever = _matched(session, end), _paid(session, end)
    pledges = session.scalars(sa.select(MatchingPledge).join(Sponsor)
                              .where(MatchingPledge.currency == currency)
                              .order_by(Sponsor.name, MatchingPledge.id))
    totals = [0, 0, 0, 0]
    for pledge in pledges:
        gifts, fen = matched.get(pledge.id, (0, 0))
        owed = matched_ever.get(pledge.id, (0, 0))[1] - paid_ever.get(pledge.id, 0)
        if not (gifts or paid.get(pledge.id) or owed):
            continue
        row = [gifts, fen, paid.get(pledge.id, 0), owed]
        table.add(str(pledge.id), pledge.sponsor.display_name(loc), f"#{pledge.id}",
                  str(STATUS_LABELS.get(pledge.status, pledge.status)), *row)
        totals = [a + b for a, b in zip(totals, row)]
    table.add("total", _("Total"), "", "", *totals, kind=TOTAL)
    return table
