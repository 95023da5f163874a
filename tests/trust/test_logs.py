"""No secret, ID number or full phone number in any log line (issue #10).

Everything is logged at DEBUG (the SDKs' own loggers included) while the demo office is
seeded, households are imported with ID numbers and phones, a gift is paid on localstripe,
booked by a signed webhook and refunded from the finance page, a forged webhook is refused
and logins fail; then every record, with its traceback, is scanned."""
import logging
import re

import sqlalchemy as sa

from core.extensions import db
from tests.donate.giving_support import make_paid_donation, post_event
from tests.homes.homes_support import csv_rows, fake_id

#: What must never be written to a log, by name.
PATTERNS = {
    "ID number": re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])"),
    "mobile phone": re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])"),
    "Stripe secret key": re.compile(r"\bsk_(test|live)_[A-Za-z0-9]+"),
    "webhook secret": re.compile(r"\bwhsec_[A-Za-z0-9_]+"),
}
SECRET_KEY = "trust-secret-key-9f3b2c"
PHONES = ("13912345678", "18600001111")


def log_lines(caplog) -> list[str]:
    lines = []
    for record in caplog.records:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        lines.extend(f"{record.name}: {line}" for line in text.splitlines())
    return lines


def leaks(lines) -> list[str]:
    found = [f"{name}: {line}" for line in lines for name, pattern in PATTERNS.items()
             if pattern.search(line)]
    return found + [line for line in lines if SECRET_KEY in line]


def scenario(app, client, gateway, login):
    from campaigns.services import campaign_by_slug

    assert app.test_cli_runner().invoke(args=["demo", "seed"]).exit_code == 0
    login("staff", "importer@example.org")
    upload = client.post("/staff/homes/households/import", data={"file": (
        __import__("io").BytesIO(csv_rows(
            ("HN", "城南居委", "低保", "测试户901", fake_id(901), PHONES[0], 3),
            ("HN", "城南居委", "低保", "测试户902", fake_id(902), PHONES[1], 2),
            ("HN", "城南居委", "低保", "坏号户", fake_id(903)[:17] + "0", "1391234567", 1),
        ).encode("gbk")), "list.csv")})
    assert upload.status_code == 302, upload.get_data(as_text=True)
    assert client.post(upload.headers["Location"] + "/confirm", data={"mode": "good"}).status_code == 302
    drive = campaign_by_slug(db.session, "wanren-juan")
    donation, pi = make_paid_donation(gateway, drive, amount_fen=10_000, fund="SF-LJZ",
                                      email="donor@example.org")
    resp = post_event(client, {"id": "evt_logs_1", "object": "event", "type": "payment_intent.succeeded",
                               "data": {"object": {"id": pi["id"], "object": "payment_intent"}}})
    assert resp.get_json()["outcome"] == "booked", resp.get_data(as_text=True)
    client.post("/stripe/webhook", data=b"{}", headers={"Stripe-Signature": "t=1,v1=forged"})
    client.post("/logout")
    login("finance", "refunder@example.org")
    refund = client.post(f"/finance/donations/{donation.id}/refund",
                         data={"amount": "25", "reason": f"asked by phone {PHONES[0]}"})
    assert refund.status_code == 302, refund.get_data(as_text=True)
    client.post("/logout")
    for password in ("wrong", SECRET_KEY):
        client.post("/login", data={"email": "ghost@example.org", "password": password})
    return donation


def test_no_secret_id_number_or_phone_in_any_log_line(app, client, login, gateway, caplog):
    from campaigns.homes.models import Household
    from donate.models import Donation

    app.config.update(SECRET_KEY=SECRET_KEY)
    caplog.set_level(logging.DEBUG)
    donation = scenario(app, client, gateway, login)
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).refunded_fen == 2_500
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == 302
    lines = log_lines(caplog)
    assert len(lines) > 20  # the scenario did log: an empty capture would prove nothing
    assert leaks(lines) == []


def test_the_scanner_finds_what_it_looks_for():
    lines = [f"x: household {fake_id(1)} added", "x: call 13912345678", "x: key sk_test_abc123",
             "x: whsec_local in use", f"x: {SECRET_KEY}", "x: receipt 2026-000123, 10000 fen"]
    assert len(leaks(lines)) == 5
