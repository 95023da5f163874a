"""Signing a donor in without a password: single-use emailed links (only a hash is stored),
merge links that prove a second email, and the signed link in a failed-renewal email.

The request for a link answers the same whether or not the email has given before; a link is
queued only for an email that has (``DONOR_LINK_MINUTES``, default 30, is its life).
"""
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.auth import utcnow
from donate.donor_models import DonorEmailLink, DonorSignInLink
from donate.models import Donation
from donate.outbox import queue_message
from donate.recurring_models import RecurringPlan

CARD_LINK_SALT = "wanjia-donor-card"


class LinkError(ValueError):
    """A link that cannot be used; ``message`` is safe to show."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _base_url() -> str:
    return current_app.config.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")


def _link_minutes() -> int:
    return int(current_app.config.get("DONOR_LINK_MINUTES", 30))


def donor_known(session, email: str) -> bool:
    """Whether ``email`` has given (a gift or a monthly plan) or was merged with one that has."""
    gift = sa.select(Donation.id).where(sa.func.lower(sa.func.trim(Donation.email)) == email).limit(1)
    plan = sa.select(RecurringPlan.id).where(RecurringPlan.email == email).limit(1)
    merged = sa.select(DonorEmailLink.id).where(
        sa.or_(DonorEmailLink.email_a == email, DonorEmailLink.email_b == email)).limit(1)
    return any(session.scalar(q) is not None for q in (gift, plan, merged))


def _new_link(session, email: str, purpose: str, merge_into: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    session.add(DonorSignInLink(token_hash=hash_token(token), email=email, purpose=purpose,
                                merge_into=merge_into,
                                expires_at=utcnow() + timedelta(minutes=_link_minutes())))
    session.flush()
    return token


def request_sign_in(session, email: str) -> None:
    """Queue a sign-in link to ``email`` if it has given before; otherwise do nothing visible."""
    email = normalise_email(email)
    if not email or not donor_known(session, email):
        return
    token = _new_link(session, email, "sign_in")
    url = f"{_base_url()}/donor/sign-in/{token}"
    minutes = _link_minutes()
    body = "\n".join([
        f"请点击以下链接查看您的捐赠（{minutes} 分钟内有效，仅可使用一次）：",
        f"Open your gifts with this link (valid for {minutes} minutes, once):",
        url, "", "如果这不是您本人的操作，请忽略本邮件。 If you did not ask for it, ignore this email.",
        "", "万家 Wanjia"])
    queue_message(session, email, "登录链接 Your sign-in link", body)


def request_merge(session, signed_in: list[str], other_email: str) -> None:
    """Send a merge link to ``other_email``: using it proves the donor holds that email too."""
    other = normalise_email(other_email)
    if not other or other in signed_in:
        raise LinkError(_l("This email is already shown on your page."))
    token = _new_link(session, other, "merge", merge_into=signed_in[0])
    url = f"{_base_url()}/donor/sign-in/{token}"
    body = "\n".join([
        f"有人请求将此邮箱与 {signed_in[0]} 的捐赠记录合并。如是您本人，请点击：",
        f"Someone asked to show this email's gifts together with {signed_in[0]}'s. If it was you:",
        url, "", "万家 Wanjia"])
    queue_message(session, other, "合并邮箱 Confirm your second email", body)


def use_link(session, token: str) -> DonorSignInLink:
    """Spend a link once: the link, or :class:`LinkError` when unknown, used or expired.
    A merge link records the two emails as one donor's."""
    refused = LinkError(_l("This sign-in link is not valid: it has expired, was already used, "
                           "or is incomplete. Please ask for a new one."))
    link = session.scalar(sa.select(DonorSignInLink).filter_by(token_hash=hash_token(token or "")))
    now = utcnow()
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise refused
    # The guarded UPDATE makes "single use" hold when two clicks race.
    spent = session.execute(sa.update(DonorSignInLink).where(
        DonorSignInLink.id == link.id, DonorSignInLink.used_at.is_(None)).values(used_at=now))
    if spent.rowcount != 1:
        raise refused
    if link.purpose == "merge" and link.merge_into and link.merge_into != link.email:
        session.add(DonorEmailLink(email_a=link.merge_into, email_b=link.email, link_id=link.id))
    session.flush()
    return link


def linked_emails(session, email: str) -> list[str]:
    """``email`` and every email merged with it, directly or through others; ``email`` first."""
    found, todo = [email], [email]
    while todo:
        current = todo.pop()
        rows = session.execute(sa.select(DonorEmailLink.email_a, DonorEmailLink.email_b).where(
            sa.or_(DonorEmailLink.email_a == current, DonorEmailLink.email_b == current)))
        for a, b in rows:
            for other in (a, b):
                if other not in found:
                    found.append(other)
                    todo.append(other)
    return found


def _card_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CARD_LINK_SALT)


def card_link_url(plan) -> str:
    """The link in a failed-renewal email: it signs the donor in and opens the card form."""
    token = _card_serializer().dumps({"plan": plan.id, "email": plan.email})
    return f"{_base_url()}/donor/card/{token}"


def read_card_link(token: str) -> tuple[int, str]:
    """``(plan id, email)`` of a card link; :class:`LinkError` when tampered with or too old
    (``DONOR_CARD_LINK_DAYS``, default 14: Stripe retries for about that long)."""
    max_age = int(current_app.config.get("DONOR_CARD_LINK_DAYS", 14)) * 86400
    try:
        data = _card_serializer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        raise LinkError(_l("This link is not valid or has expired. Please sign in with your "
                           "email instead.")) from None
    return int(data["plan"]), str(data["email"])


