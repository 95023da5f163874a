"""The donations register and the sponsor statements: every gift by its books' date, refunds
by the end of the range, donors hidden from auditors; sponsors' matched, paid, outstanding."""
import datetime as dt

from campaigns.matching import services as matching
from campaigns.matching.models import Match, MatchingPledge, Sponsor
from core.extensions import db
from donate import services
from ledger.periods import books_date
from tests.finance.statements_support import book_gift, csv_of, drive, line, reader, xlsx_of  # noqa: F401

OCTOBER = "/finance/statements/donations?lang=en&start=2026-10-01&end=2026-10-31"


def _gifts(drive):
    g1 = book_gift(drive, "pi:1", 10000, dt.datetime(2026, 10, 5, 2), donor="张三")
    # 01:00 on 1 November in Shanghai: a November gift, whatever UTC says.
    g2 = book_gift(drive, "bank:1", 5000, dt.datetime(2026, 10, 31, 17), channel="bank_transfer",
                   donor="李四", anonymous=True)
    g3 = book_gift(drive, "cash:1", 20000, dt.datetime(2026, 10, 20, 3), channel="cash")
    return g1, g2, g3


def test_register_lists_each_gift_of_the_range_with_totals(drive, reader):
    g1, _g2, g3 = _gifts(drive)
    html = reader("finance").get(OCTOBER).get_data(as_text=True)
    assert line(html, str(g1.id)) == (
        f"2026-10-05 {g1.receipt_number} 张三 Online 10,000 donors help 10,000 homes "
        "Huinan community sub-fund CN¥100.00 CN¥0.00 CN¥100.00")
    assert line(html, str(g3.id)) == (
        f"2026-10-20 {g3.receipt_number} Anonymous Cash 10,000 donors help 10,000 homes "
        "Huinan community sub-fund CN¥200.00 CN¥0.00 CN¥200.00")
    assert line(html, "total") == "Total 2 gifts CN¥300.00 CN¥0.00 CN¥300.00"
    rows = csv_of(reader("finance").get(
        "/finance/statements/donations?lang=en&start=2026-11-01&end=2026-11-30&format=csv"))
    assert rows[1][2:4] == ["Anonymous", "Bank transfer"]  # anonymous even with a name given
    assert rows[-1][-3:] == ["50.00", "0.00", "50.00"]


def test_refunds_count_by_the_end_of_the_range(drive, reader):
    g1, _g2, _g3 = _gifts(drive)
    services.book_refund(db.session, g1, "re_1", 3000, by="finance@example.org")
    db.session.commit()
    refund_day = books_date()
    client = reader("finance")
    rows = csv_of(client.get(f"/finance/statements/donations?lang=en&start=2026-10-01"
                             f"&end={refund_day}&format=csv"))
    assert rows[0] == ["Date", "Receipt number", "Donor", "Channel", "Drive", "Designation",
                       "Amount", "Refunded", "Net"]
    assert rows[1][-3:] == ["100.00", "30.00", "70.00"]
    assert rows[-1] == ["Total", "3 gifts", "", "", "", "", "350.00", "30.00", "320.00"]
    # October's register still shows the gift as it stood on 31 October.
    _sheet, cells = xlsx_of(client.get(OCTOBER + "&format=xlsx"))
    assert cells[-1][:2] == ["Total", "2 gifts"]
    assert [str(v) for v in cells[-1][-3:]] == ["300.00", "0.00", "300.00"]


def test_auditors_see_the_money_but_not_the_donors(drive, reader):
    _gifts(drive)
    html = reader("auditor").get(OCTOBER).get_data(as_text=True)
    assert "张三" not in html and "Anonymous" not in html
    assert line(html, "total") == "Total 2 gifts CN¥300.00 CN¥0.00 CN¥300.00"


def _pledge(drive) -> MatchingPledge:
    sponsor = Sponsor(name="浦东某某企业", display_name_en="Pudong Example Co.")
    pledge = MatchingPledge(sponsor=sponsor, status="live", pool_fen=100000, currency="CNY",
                            starts_at=dt.datetime(2026, 10, 1), ends_at=dt.datetime(2026, 12, 31),
                            campaigns=[drive])
    db.session.add(pledge)
    db.session.flush()
    return pledge


def _match(pledge, gift, amount: int, day: dt.date, reversed_fen: int = 0, status="matched"):
    db.session.add(Match(pledge_id=pledge.id, donation_id=gift.id, campaign_id=gift.campaign_id,
                         amount_fen=amount, reversed_fen=reversed_fen, status=status,
                         donor_fingerprint=f"donor-{gift.id}", books_day=day))


def test_sponsor_statement_matched_paid_and_outstanding(drive, reader):
    g1, g2, g3 = _gifts(drive)
    pledge = _pledge(drive)
    _match(pledge, g1, 10000, dt.date(2026, 10, 5), reversed_fen=3000)
    _match(pledge, g3, 20000, dt.date(2026, 10, 20))
    _match(pledge, g2, 5000, dt.date(2026, 11, 1), status="held")  # held: not owed yet
    db.session.flush()
    matching.record_sponsor_payment(db.session, pledge, 15000, dt.date(2026, 10, 25), "ICBC-1",
                                    by="finance@example.org")
    matching.record_sponsor_payment(db.session, pledge, 5000, dt.date(2026, 11, 3), "ICBC-2",
                                    by="finance@example.org")
    db.session.commit()
    client = reader("auditor")
    html = client.get("/finance/statements/sponsors?lang=en&start=2026-10-01&end=2026-10-31"
                      ).get_data(as_text=True)
    assert line(html, str(pledge.id)) == \
        f"Pudong Example Co. #{pledge.id} Live 2 CN¥270.00 CN¥150.00 CN¥120.00"
    rows = csv_of(client.get("/finance/statements/sponsors?lang=en&start=2026-11-01"
                             "&end=2026-11-30&format=csv"))
    assert rows[1][1:] == [f"#{pledge.id}", "Live", "0", "0.00", "50.00", "70.00"]
    assert rows[-1] == ["Total", "", "", "0", "0.00", "50.00", "70.00"]
    # Over the pledge's whole life the figures are the matching module's own statement.
    whole = csv_of(client.get("/finance/statements/sponsors?lang=en&start=2026-01-01"
                              "&end=2026-12-31&format=csv"))[1]
    st = matching.pledge_statement(db.session, pledge)
    assert whole[3:] == [str(st.gifts_matched), "270.00", "200.00", "70.00"]
    assert (st.matched_fen, st.paid_fen, st.outstanding_fen) == (27000, 20000, 7000)
