"""The back-office donation pages: list, CSV, a donation's page, and the finance refund form
driving the refund service against a real localstripe.

Textbook case: a ¥100 gift to the Lujiazui sub-fund whose processor kept ¥3.40, refunded
¥25 and then the remaining ¥75 from the page; the fee is reversed pro rata (¥0.85, then
¥2.55) and the books end where they began.
"""
import csv
import io
from datetime import date, datetime, timedelta

import requests
import sqlalchemy as sa

from core.extensions import db
from donate import services
from donate.models import Donation, DonationRefund
from ledger import chart
from ledger.posting import EntryDraft, Line, post_entry
from tests.donate.giving_support import count, designation, make_paid_donation, trial_balance

FEE = 340


def paid_gift(gateway, drive, amount_fen=10_000, fee_fen=FEE, **kw) -> Donation:
    """A gift paid on localstripe and booked with a processor fee (localstripe's is always 0)."""
    donation, _pi = make_paid_donation(gateway, drive, amount_fen=amount_fen, **kw)
    services.book_donation_succeeded(db.session, donation, fee_fen=fee_fen)
    db.session.commit()
    return donation


def refund(client, donation_id, amount, reason="Donor asked: gave twice"):
    return client.post(f"/finance/donations/{donation_id}/refund?lang=en",
                       data={"amount": amount, "reason": reason})


def reload(donation_id) -> Donation:
    db.session.expire_all()
    return db.session.get(Donation, donation_id)


def stripe_refunded(gateway, donation) -> int:
    charge = gateway.retrieve_payment_intent(donation.stripe_payment_intent)["latest_charge"]
    if isinstance(charge, str):  # Stripe gives the id; localstripe the expanded charge
        charge = gateway.client.v1.charges.retrieve(charge).to_dict()
    return int(charge["amount_refunded"])


# -- refunds from the page ------------------------------------------------------------------

def test_finance_refunds_part_then_the_rest_from_the_page(client, login, drive, gateway):
    gift = paid_gift(gateway, drive)
    assert trial_balance() == {("PROCESSOR_CLEARING", "SF-LJZ"): 9_660,
                               ("DONATION_INCOME", "SF-LJZ"): -10_000,
                               ("FUNDRAISING_EXPENSE", "SF-LJZ"): 340}
    login("finance")
    page = client.get(f"/finance/donations/{gift.id}?lang=en").get_data(as_text=True)
    assert 'value="100.00"' in page  # the form offers what is left

    resp = refund(client, gift.id, "25")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    gift = reload(gift.id)
    assert (gift.status, gift.refunded_fen) == ("partially_refunded", 2_500)
    assert trial_balance() == {("PROCESSOR_CLEARING", "SF-LJZ"): 9_660 - 2_500 + 85,
                               ("DONATION_INCOME", "SF-LJZ"): -7_500,
                               ("FUNDRAISING_EXPENSE", "SF-LJZ"): 255}
    assert stripe_refunded(gateway, gift) == 2_500

    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Refunded CN¥25.00" in page and 'value="75.00"' in page
    assert "finance@example.org" in page

    assert refund(client, gift.id, "75.00").status_code == 302
    gift = reload(gift.id)
    assert (gift.status, gift.refunded_fen) == ("refunded", 10_000)
    assert trial_balance() == {}
    assert stripe_refunded(gateway, gift) == 10_000
    refunds = db.session.scalars(sa.select(DonationRefund).order_by(DonationRefund.id)).all()
    assert [(r.amount_fen, r.requested_by) for r in refunds] == [
        (2_500, "finance@example.org"), (7_500, "finance@example.org")]
    assert all(r.stripe_refund.startswith("re_") and r.entry_id for r in refunds)


def test_a_full_refund_in_one_go(client, login, drive, gateway):
    gift = paid_gift(gateway, drive, amount_fen=5_000, fee_fen=0, fund="GOODS-YN")
    login("finance")
    assert refund(client, gift.id, "50").status_code == 302
    gift = reload(gift.id)
    assert (gift.status, gift.refunded_fen) == ("refunded", 5_000)
    assert trial_balance() == {} and count(DonationRefund) == 1
    page = client.get(f"/finance/donations/{gift.id}?lang=en").get_data(as_text=True)
    assert 'id="not-refundable"' in page and 'name="amount"' not in page


def test_a_second_refund_above_the_remainder_is_refused(client, login, drive, gateway):
    gift = paid_gift(gateway, drive)
    login("finance")
    assert refund(client, gift.id, "60").status_code == 302
    resp = refund(client, gift.id, "40.01")
    assert resp.status_code == 400
    assert "between CN¥0.01 and CN¥40.00" in resp.get_data(as_text=True)
    gift = reload(gift.id)
    assert (gift.status, gift.refunded_fen) == ("partially_refunded", 6_000)
    assert count(DonationRefund) == 1 and stripe_refunded(gateway, gift) == 6_000


def test_bad_amounts_write_nothing(client, login, drive, gateway):
    gift = paid_gift(gateway, drive)
    login("finance")
    cases = {"0": "more than zero", "-5": "more than zero", "1.234": "two decimal places",
             "ten": "two decimal places", "": "This field is required."}
    for amount, message in cases.items():
        resp = refund(client, gift.id, amount)
        assert resp.status_code == 400, amount
        assert message in resp.get_data(as_text=True), amount
    resp = refund(client, gift.id, "10", reason="")
    assert resp.status_code == 400 and "This field is required." in resp.get_data(as_text=True)
    gift = reload(gift.id)
    assert (gift.status, gift.refunded_fen) == ("succeeded", 0)
    assert count(DonationRefund) == 0 and stripe_refunded(gateway, gift) == 0


def test_an_unpaid_gift_cannot_be_refunded(client, login, drive, gateway):
    pending, _pi = make_paid_donation(gateway, drive, confirm=None)
    login("finance")
    resp = refund(client, pending.id, "10")
    assert resp.status_code == 409
    assert "Nothing was refunded: Only a received gift can be refunded." in resp.get_data(as_text=True)
    assert reload(pending.id).status == "pending" and count(DonationRefund) == 0


def test_stripe_refusing_is_shown_and_nothing_is_booked(client, login, drive, gateway, stripe_url):
    gift = paid_gift(gateway, drive, fee_fen=0)
    # Stripe no longer knows the payment (localstripe emptied), so it refuses the refund.
    requests.delete(f"{stripe_url}/_config/data", timeout=5)
    login("finance")
    resp = refund(client, gift.id, "10")
    assert resp.status_code == 409
    assert "Nothing was refunded: The payment service" in resp.get_data(as_text=True)
    assert reload(gift.id).refunded_fen == 0 and count(DonationRefund) == 0
    assert trial_balance() == {("PROCESSOR_CLEARING", "SF-LJZ"): 10_000,
                               ("DONATION_INCOME", "SF-LJZ"): -10_000}


def test_a_fund_that_has_spent_the_gift_refuses_before_stripe_is_asked(client, login, drive, gateway):
    gift = paid_gift(gateway, drive, fee_fen=0)
    post_entry(db.session, EntryDraft(
        date=date.today(), memo="Schoolbags for Lujiazui", idempotency_key="test:spend",
        lines=(Line(chart.PROGRAM_EXPENSE, "SF-LJZ", 8_000),
               Line(chart.PROCESSOR_CLEARING, "SF-LJZ", -8_000))))
    db.session.commit()
    login("finance")
    resp = refund(client, gift.id, "100")
    assert resp.status_code == 409
    text = resp.get_data(as_text=True)
    assert "The restricted fund SF-LJZ has already spent this money" in text
    assert "CN¥80.00 below zero" in text and "paid from elsewhere" in text
    assert stripe_refunded(gateway, gift) == 0
    gift = reload(gift.id)
    assert (gift.status, gift.refunded_fen) == ("succeeded", 0) and count(DonationRefund) == 0
    # What the fund still holds can be refunded.
    assert refund(client, gift.id, "20").status_code == 302
    assert reload(gift.id).refunded_fen == 2_000 and stripe_refunded(gateway, gift) == 2_000


# -- access ---------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_login(client, drive, gateway):
    gift = paid_gift(gateway, drive)
    for resp in (client.get("/finance/donations/"), client.get(f"/finance/donations/{gift.id}"),
                 refund(client, gift.id, "10")):
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert reload(gift.id).refunded_fen == 0


def test_staff_and_auditors_read_but_cannot_refund(app, make_user, drive, gateway):
    gift = paid_gift(gateway, drive)
    for role in ("staff", "auditor"):
        client = app.test_client()
        user = make_user(role)
        client.post("/login", data={"email": user.email, "password": "correct horse battery"})
        page = client.get(f"/finance/donations/{gift.id}?lang=en")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "CN¥100.00" in text and gift.receipt_number in text
        assert 'name="amount"' not in text  # no refund form for them
        assert ("donor@example.org" in text) == (role == "staff")
        assert refund(client, gift.id, "10").status_code == 403
    assert reload(gift.id).refunded_fen == 0 and stripe_refunded(gateway, gift) == 0


def test_the_page_links_the_receipt_and_the_ledger_entry(client, login, drive, gateway):
    gift = paid_gift(gateway, drive)
    login("finance")
    text = client.get(f"/finance/donations/{gift.id}?lang=en").get_data(as_text=True)
    assert f'href="/finance/entries/{gift.entry_id}"' in text
    receipt = text.split('data-receipt')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert client.get(receipt).status_code == 200
    assert "张三" in text and "SF-LJZ" in text and "CN¥3.40" in text


# -- the list and its CSV -------------------------------------------------------------------

def _rows(drive, n, status="pending", start=0, **fields):
    """``n`` donations written directly (no Stripe): enough for paging and filters."""
    base = datetime(2026, 1, 1)
    for i in range(start, start + n):
        db.session.add(Donation(campaign=drive, designation=drive.designations[0],
                                amount_fen=100 + i, status=status, email=f"d{i}@example.org",
                                created_at=base + timedelta(minutes=i), **fields))
    db.session.commit()


def test_the_list_is_newest_first_and_paged_by_fifty(client, login, drive):
    _rows(drive, 51)
    login("staff")
    first = client.get("/finance/donations/?lang=en").get_data(as_text=True)
    assert first.count("data-donation=") == 50 and "51 donations match." in first
    assert first.index("CN¥1.50") < first.index("CN¥1.49")  # the newest (i=50) comes first
    assert "CN¥1.00" not in first and 'rel="next"' in first
    second = client.get("/finance/donations/?page=2&lang=en").get_data(as_text=True)
    assert second.count("data-donation=") == 1 and "CN¥1.00" in second


def test_filters_by_status_campaign_and_text(client, login, drive, make_drive, gateway):
    gift = paid_gift(gateway, drive)
    _rows(drive, 3)
    other = make_drive(slug="other-drive")
    _rows(other, 2, start=10)
    login("finance")

    def ids(query):
        text = client.get(f"/finance/donations/?{query}").get_data(as_text=True)
        return text.count("data-donation=")

    assert ids("") == 6
    assert ids("status=succeeded") == 1
    assert ids(f"campaign={other.id}") == 2
    assert ids("q=D11@EXAMPLE") == 1
    assert ids(f"q={gift.receipt_number}") == 1
    assert ids("q=%25") == 0  # a LIKE wildcard is matched literally
    assert ids("status=nonsense&campaign=abc") == 6


def test_the_csv_has_every_matching_row_with_exact_amounts(client, login, drive, gateway):
    gift = paid_gift(gateway, drive)
    _rows(drive, 60)
    login("finance")
    assert refund(client, gift.id, "25").status_code == 302
    resp = client.get("/finance/donations/?format=csv&lang=en")
    assert resp.mimetype == "text/csv"
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 1 + 61
    header = rows[0]
    assert header[:11] == ["Donation", "Date (UTC)", "Drive", "Fund", "Status", "Amount",
                           "Fee cover", "Fee", "Refunded", "Net", "Currency"]
    line = next(r for r in rows[1:] if r[0] == str(gift.id))
    assert line[4:11] == ["partially_refunded", "100.00", "0.00", "3.40", "25.00", "75.00", "CNY"]
    assert line[11] == gift.receipt_number and line[-2:] == ["张三", "donor@example.org"]
    assert sum(int(r[5].replace(".", "")) for r in rows[1:]) == 10_000 + sum(100 + i for i in range(60))
    only_paid = client.get("/finance/donations/?format=csv&status=partially_refunded").get_data()
    assert len(list(csv.reader(io.StringIO(only_paid.decode("utf-8-sig"))))) == 2


def test_auditors_get_no_donor_columns_and_cannot_search_by_email(client, login, drive):
    _rows(drive, 2)
    login("auditor")
    rows = list(csv.reader(io.StringIO(
        client.get("/finance/donations/?format=csv&lang=en").get_data().decode("utf-8-sig"))))
    assert rows[0][-1] == "Ledger entry" and len(rows) == 3
    assert "d1@example.org" not in client.get("/finance/donations/").get_data(as_text=True)
    assert client.get("/finance/donations/?q=d1@").get_data(as_text=True).count("data-donation=") == 0


def test_an_unknown_donation_is_404(client, login):
    login("finance")
    assert client.get("/finance/donations/987654").status_code == 404
    assert refund(client, 987654, "10").status_code == 404
