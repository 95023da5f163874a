"""Year-end statements: every gift of one donor (by normalised email) in a calendar year or
any date range, with its receipt number, refunds and the total net of refunds; a signed link
to read it without signing in; and the batch that emails every donor of a year their link
through the outbox, once per donor and year (``yearend:<year>:<email>``).

Dates are the books' dates (Asia/Shanghai, as receipts are numbered): a gift at 23:30 on
31 December in Shanghai belongs to that year's statement whatever UTC says.
"""
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from core.i18n import money
from donate import state

from donate.models import Donation
from donate.outbox import queue_message
from ledger.periods import books_date, utc_bounds

#: Gifts a statement lists: every booked gift but a lost dispute (the card holder took it back).
STATEMENT_STATUSES = tuple(s for s in state.BOOKED_STATUSES if s != state.LOST)
_SALT = "wanjia-yearend-statement"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


@dataclass(frozen=True)
class StatementLine:
    day: date
    receipt_number: str
    campaign_zh: str
    campaign_en: str
    designation_zh: str
    designation_en: str
    currency: str
    amount_fen: int
    refunded_fen: int

    @property
    def net_fen(self) -> int:
        return self.amount_fen - self.refunded_fen


@dataclass
class Statement:
    email: str
    start: date
    end: date
    donor_name: str = ""
    lines: list[StatementLine] = field(default_factory=list)

    def totals(self) -> dict[str, tuple[int, int, int]]:
        """``{currency: (given, refunded, net)}``, one entry per currency given in."""
        out: dict[str, tuple[int, int, int]] = {}
        for line in self.lines:
            given, refunded, net = out.get(line.currency, (0, 0, 0))
            out[line.currency] = (given + line.amount_fen, refunded + line.refunded_fen, net + line.net_fen)
        return out




def _gifts_in(start: date, end: date):
    low, high = utc_bounds(start, end)
    return sa.and_(Donation.status.in_(STATEMENT_STATUSES), Donation.succeeded_at >= low,
                   Donation.succeeded_at < high)


def _email_of():
    return sa.func.lower(sa.func.trim(Donation.email))


def build_year_statement(session, email: str, start: date, end: date) -> Statement:
    """The statement of ``email``'s gifts booked from ``start`` to ``end`` (books' dates, both
    included), oldest first."""
    email = normalise_email(email)
    gifts = session.scalars(sa.select(Donation).where(_email_of() == email, _gifts_in(start, end))
                            .order_by(Donation.succeeded_at, Donation.id)).all() if email else []
    statement = Statement(email=email, start=start, end=end)
    for gift in gifts:
        statement.donor_name = gift.donor_name or statement.donor_name
        statement.lines.append(StatementLine(
            day=books_date(gift.succeeded_at), receipt_number=gift.receipt_number or "",
            campaign_zh=gift.campaign.title_zh, campaign_en=gift.campaign.title_en or gift.campaign.title_zh,
            designation_zh=gift.designation.label_zh,
            designation_en=gift.designation.label_en or gift.designation.label_zh,
            currency=gift.currency, amount_fen=gift.amount_fen, refunded_fen=gift.refunded_fen))
    return statement


def year_range(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


# -- the signed link ------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def statement_token(email: str, year: int) -> str:
    """A token naming ``email`` and ``year``, signed with the app's secret (no expiry: it is
    mailed once a year and must keep working)."""
    return _serializer().dumps({"e": normalise_email(email), "y": int(year)})


def read_statement_token(token: str) -> tuple[str, int] | None:
    """``(email, year)`` of a token made by :func:`statement_token`; None if tampered with."""
    try:
        data = _serializer().loads(token or "")
        return normalise_email(data["e"]), int(data["y"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def statement_url(email: str, year: int, pdf: bool = False) -> str:
    """The statement's public address, built by hand: the batch runs without a request."""
    base = current_app.config.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/statements/{statement_token(email, year)}" + ("/pdf" if pdf else "")


# -- the batch ------------------------------------------------------------------------------

def donors_of(session, start: date, end: date) -> list[str]:
    """Every normalised email with a gift on a statement in the range, sorted."""
    emails = session.scalars(sa.select(_email_of()).distinct().where(_gifts_in(start, end), Donation.email != "")).all()
    return sorted(e for e in emails if e)


def dedup_key(year: int, email: str) -> str:
    """``yearend:<year>:<email>``; a long address by its hash (the key holds 100 characters)."""
    key = f"yearend:{year}:{email}"
    return key if len(key) <= 100 else f"yearend:{year}:sha256:{hashlib.sha256(email.encode()).hexdigest()}"


def statement_email(statement: Statement, year: int) -> tuple[str, str]:
    """Subject and body, bilingual like the receipt email."""
    total = "; ".join(money(net, cur) for cur, (_g, _r, net) in statement.totals().items())
    name = statement.donor_name or "捐赠人 Donor"
    body = "\n".join([
        f"{name}：", "",
        f"感谢您在 {year} 年的 {len(statement.lines)} 笔捐赠，合计（扣除退款）{total}。",
        f"Thank you for your {len(statement.lines)} gift(s) in {year}, {total} in all (net of refunds).", "",
        f"年度捐赠汇总 Year-end statement: {statement_url(statement.email, year)}",
        f"PDF: {statement_url(statement.email, year, pdf=True)}", "",
        "万家 Wanjia"])
    return f"{year} 年度捐赠汇总 Your {year} giving statement", body


def send_year_statements(session, year: int, progress: Callable[[int, int], None] | None = None,
                         commit: Callable[[], None] | None = None) -> int:
    """Queue one statement email per donor of ``year``; returns how many donors.

    Idempotent: a donor already sent this year's statement is not sent it again. ``progress``
    hears ``(done, total)`` after each donor; ``commit`` (the CLI's) is called every 50.
    """
    start, end = year_range(year)
    emails = donors_of(session, start, end)
    for done, email in enumerate(emails, 1):
        statement = build_year_statement(session, email, start, end)
        subject, body = statement_email(statement, year)
        queue_message(session, email, subject, body, dedup_key(year, email))
        if commit and done % 50 == 0:
            commit()
        if progress:
            progress(done, len(emails))
    return len(emails)
