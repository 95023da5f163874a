"""Receipt numbers (gapless per year), verification codes and the receipt email.

A number is taken in the same transaction that books the gift, from a counter row per year
locked ``FOR UPDATE``: two bookings wait for each other, and a rolled-back booking gives its
number back with its rollback, so the numbers of a year run 1..N without gap or duplicate.
"""
import base64
import hashlib
import hmac
import re

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from donate.models import ReceiptCounter

NUMBER_RE = re.compile(r"^(\d{4})-(\d{6})$")
CODE_LENGTH = 8


def _locked_counter(session, year: int) -> ReceiptCounter | None:
    stmt = (sa.select(ReceiptCounter).where(ReceiptCounter.year == year).with_for_update()
            .execution_options(populate_existing=True))
    return session.execute(stmt).scalar_one_or_none()


def take_receipt_number(session, year: int) -> str:
    """The next receipt number of ``year`` (``2026-000123``); holds the year's lock until commit."""
    counter = _locked_counter(session, year)
    if counter is None:
        # The first receipt of a year: two bookings may race to create the row; the loser's
        # savepoint rolls back and it then waits on the winner's lock like everyone else.
        try:
            with session.begin_nested():
                session.add(ReceiptCounter(year=year, last_number=0))
        except IntegrityError:
            pass
        counter = _locked_counter(session, year)
    counter.last_number += 1
    session.flush()
    return f"{year}-{counter.last_number:06d}"


def receipt_code(secret_key: str, number: str) -> str:
    """A short code printed on the receipt: HMAC-SHA256 of the number, base32, 8 characters."""
    digest = hmac.new(secret_key.encode(), f"receipt:{number}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:CODE_LENGTH]


def check_receipt_code(secret_key: str, number: str, code: str) -> bool:
    given = (code or "").strip().upper()
    return bool(NUMBER_RE.match(number or "")) and hmac.compare_digest(
        given, receipt_code(secret_key, number))


def mask_name(name: str) -> str:
    """Keep the first character: ``张三丰`` → ``张**``, ``Alice`` → ``A****``."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * min(len(name) - 1, 4) if len(name) > 1 else name[0] + "*"


#: What the receipt email adds when a gift for a micro-wish could not fund it (bilingual,
#: like the receipt): by the status of the donor's reservation.
WISH_NOTICES = {
    "redirected": ("您选择的微心愿已由其他爱心人士圆梦，您的捐赠已计入本次活动的统筹款，用于其他心愿。",
                   "The wish you chose had just been funded by someone else: your gift has gone "
                   "to the drive's general pool, for other wishes."),
    "refund_requested": ("您选择的微心愿已由其他爱心人士圆梦，我们将全额退还您的捐赠。",
                         "The wish you chose had just been funded by someone else: we are "
                         "refunding your gift in full."),
    "refunded": ("您选择的微心愿已由其他爱心人士圆梦，您的捐赠已全额退还。",
                 "The wish you chose had just been funded by someone else: your gift has been "
                 "refunded in full."),
}


def wish_notice(reservation_status: str | None) -> tuple[str, ...]:
    """The receipt email's lines about a wish gift's fate; none when it funded its wish."""
    return WISH_NOTICES.get(reservation_status or "", ())


def receipt_email(donation, number: str, code: str, url: str, amount_text: str,
                  notice: tuple[str, ...] = (), donor_url: str = "") -> tuple[str, str]:
    """Subject and body of the receipt email, bilingual like the printed receipt."""
    campaign = donation.campaign
    subject = f"捐赠收据 Donation receipt {number}"
    name = donation.donor_name or "捐赠人 Donor"
    body = "\n".join([
        f"{name}：",
        "",
        f"感谢您向「{campaign.title_zh}」捐赠 {amount_text}。",
        f"Thank you for your gift of {amount_text} to {campaign.title_en or campaign.title_zh}.",
        *notice,
        "",
        f"收据编号 Receipt number: {number}",
        f"验证码 Verification code: {code}",
        f"查看收据 View the receipt: {url}",
        *([f"您的全部捐赠与月捐 All your gifts and monthly plans: {donor_url}"] if donor_url else []),
        "",
        "万家 Wanjia",
    ])
    return subject, body
