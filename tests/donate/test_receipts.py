"""Receipts: the printable bilingual page behind its code, the public check, the email
through a real SMTP server, and gapless numbers when many gifts are booked at once."""
import threading

import pytest
import sqlalchemy as sa

from core.extensions import db
from donate import receipts, services
from donate.models import Donation, OutboxMessage

from tests.donate.giving_support import count, designation


def _booked(campaign, amount_fen=10_000, ref="r:1", **kw):
    kw.setdefault("donor_name", "张三丰")
    kw.setdefault("email", "donor@example.org")
    donation = Donation(campaign=campaign, designation=designation(campaign, "SF-LJZ"), source_ref=ref,
                        amount_fen=amount_fen, channel="bank_transfer", **kw)
    db.session.add(donation)
    db.session.flush()
    services.book_donation_succeeded(db.session, donation)
    db.session.commit()
    return donation


def test_receipt_page_needs_the_right_code(client, drive, app):
    gift = _booked(drive)
    code = receipts.receipt_code(app.config["SECRET_KEY"], gift.receipt_number)
    resp = client.get(f"/receipts/{gift.receipt_number}?code={code}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "捐赠收据" in html and "Donation receipt" in html
    assert gift.receipt_number in html and "¥100.00" in html and "张三丰" in html and code in html
    assert client.get(f"/receipts/{gift.receipt_number}?code=AAAAAAAA").status_code == 404
    assert client.get(f"/receipts/{gift.receipt_number}").status_code == 404
    assert client.get(f"/receipts/../x?code={code}").status_code == 404


def test_anyone_can_verify_a_receipt_and_sees_only_a_masked_name(client, drive, app):
    gift = _booked(drive)
    code = receipts.receipt_code(app.config["SECRET_KEY"], gift.receipt_number)
    resp = client.get(f"/receipts/verify?lang=en&number={gift.receipt_number}&code={code.lower()}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "This receipt is genuine." in html and "CN¥100.00" in html
    assert "张**" in html and "张三丰" not in html and "donor@example.org" not in html
    assert drive.title_en in html


def test_a_wrong_code_gets_a_clear_message(client, drive):
    gift = _booked(drive)
    resp = client.get(f"/receipts/verify?lang=en&number={gift.receipt_number}&code=WRONG123")
    assert resp.status_code == 404
    assert "do not match any receipt" in resp.get_data(as_text=True)
    assert client.get("/receipts/verify?lang=en").status_code == 200


def test_the_receipt_email_goes_out_through_smtp_once(runner, drive, smtp_server, app):
    gift = _booked(drive)
    assert count(OutboxMessage) == 1
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "sent 1, failed 0" in result.output, result.output
    result = runner.invoke(args=["outbox", "send"])
    assert "sent 0, failed 0" in result.output
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail["To"] == "donor@example.org" and gift.receipt_number in mail["Subject"]
    body = mail.get_content()
    code = receipts.receipt_code(app.config["SECRET_KEY"], gift.receipt_number)
    assert f"/receipts/{gift.receipt_number}?code={code}" in body and "¥100.00" in body
    assert "All your gifts and monthly plans: http://127.0.0.1:5000/donor" in body
    db.session.expire_all()
    message = db.session.scalar(sa.select(OutboxMessage))
    assert message.status == "sent" and message.attempts == 1


def test_an_unreachable_mail_server_keeps_the_message_queued(runner, drive, app):
    from tools.localstripe_server import free_port

    _booked(drive)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code != 0 and "unreachable" in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(OutboxMessage.status)) == "queued"


def test_gifts_without_email_queue_no_message(drive):
    _booked(drive, email="")
    assert count(OutboxMessage) == 0


@pytest.mark.postgres
def test_receipt_numbers_are_gapless_under_concurrency(pg_app):
    from campaigns import services as campaign_services
    from ledger.chart import seed_chart
    from ledger.posting import ensure_fund

    seed_chart(db.session)
    ensure_fund(db.session, "SF-LJZ", name_zh="陆家嘴", name_en="Lujiazui", restriction="restricted",
                kind="subfund")
    drive = campaign_services.create_campaign(db.session, campaign_services.CampaignInput(
        slug="busy", title_zh="忙", designation_funds=("SF-LJZ",)))
    campaign_services.change_status(db.session, drive, "publish")
    ids = []
    for n in range(12):
        gift = Donation(campaign=drive, designation=drive.designations[0], source_ref=f"c:{n}",
                        amount_fen=100 + n, channel="cash")
        db.session.add(gift)
        db.session.flush()
        ids.append(gift.id)
    db.session.commit()
    errors, barrier = [], threading.Barrier(4)

    def book(chunk):
        with pg_app.app_context():
            barrier.wait()
            try:
                for donation_id in chunk:
                    services.book_donation_succeeded(db.session, db.session.get(Donation, donation_id))
                    db.session.commit()
            except Exception as err:  # noqa: BLE001 - reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=book, args=(ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    numbers = sorted(db.session.scalars(sa.select(Donation.receipt_number)))
    year = numbers[0][:4]
    assert numbers == [f"{year}-{n:06d}" for n in range(1, 13)]


@pytest.mark.postgres
def test_the_same_gift_booked_at_once_by_webhook_and_thank_you_page_is_booked_once(pg_app):
    from campaigns import services as campaign_services
    from ledger.chart import seed_chart
    from ledger.models import JournalEntry
    from ledger.posting import ensure_fund

    seed_chart(db.session)
    ensure_fund(db.session, "SF-LJZ", name_zh="陆家嘴", name_en="Lujiazui", restriction="restricted",
                kind="subfund")
    drive = campaign_services.create_campaign(db.session, campaign_services.CampaignInput(
        slug="race", title_zh="抢", designation_funds=("SF-LJZ",)))
    campaign_services.change_status(db.session, drive, "publish")
    gift = Donation(campaign=drive, designation=drive.designations[0], source_ref="race:1",
                    amount_fen=500, channel="cash", email="a@example.org")
    db.session.add(gift)
    db.session.commit()
    gift_id = gift.id
    results, barrier = [], threading.Barrier(3)

    def book():
        with pg_app.app_context():
            barrier.wait()
            results.append(services.book_donation_succeeded(db.session, db.session.get(Donation, gift_id)))
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=book) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [False, False, True]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == 1
    assert count(OutboxMessage) == 1
