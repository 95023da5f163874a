"""The email outbox: messages are queued in the transaction that decides to send them and
sent later by ``flask --app wsgi outbox send``, so a rolled-back booking sends nothing and a
mail server that is down loses nothing."""
import logging
import smtplib
from email.message import EmailMessage

import sqlalchemy as sa

from core.auth import utcnow
from donate.models import OutboxMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def queue_message(session, to_addr: str, subject: str, body: str,
                  dedup_key: str | None = None) -> OutboxMessage | None:
    """Queue one email (once per ``dedup_key``); None when there is no address."""
    if not to_addr:
        return None
    if dedup_key:
        existing = session.scalar(sa.select(OutboxMessage).filter_by(dedup_key=dedup_key))
        if existing:
            return existing
    msg = OutboxMessage(to_addr=to_addr, subject=subject, body=body, dedup_key=dedup_key)
    session.add(msg)
    session.flush()
    return msg


def pending_messages(session, limit: int = 100) -> list[OutboxMessage]:
    stmt = (sa.select(OutboxMessage).where(OutboxMessage.status == "queued")
            .order_by(OutboxMessage.id).limit(limit))
    return list(session.scalars(stmt))


def send_message(msg: OutboxMessage, smtp: smtplib.SMTP, sender: str) -> bool:
    """Try to send ``msg`` through an open ``smtp`` connection; record the outcome on it."""
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, msg.to_addr, msg.subject
    email.set_content(msg.body)
    msg.attempts += 1
    try:
        smtp.send_message(email)
    except (smtplib.SMTPException, OSError) as err:
        msg.last_error = str(err)[:500]
        if msg.attempts >= MAX_ATTEMPTS:
            msg.status = "failed"
        log.warning("outbox message %s not sent (attempt %s): %s", msg.id, msg.attempts, err)
        return False
    msg.status, msg.sent_at, msg.last_error = "sent", utcnow(), ""
    return True


def send_outbox(session, host: str, port: int, sender: str, commit, limit: int = 100) -> tuple[int, int]:
    """Send queued messages; ``commit`` is called after each so that none is sent twice.

    Returns ``(sent, failed)``.
    """
    messages = pending_messages(session, limit)
    if not messages:
        return 0, 0
    sent = failed = 0
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        for msg in messages:
            if send_message(msg, smtp, sender):
                sent += 1
            else:
                failed += 1
            commit()
    return sent, failed
