"""The charity-law gauge: charitable spending against the previous year's income (≥ 70%),
management costs against the year's expenditure (≤ 10%, unless under ¥200,000)."""
import datetime as dt

from core.extensions import db
from finance.gauge import EXEMPT, FAIL, NOT_APPLICABLE, PASS, Thresholds, charity_gauge
from ledger import chart
from tests.finance.statements_support import GEN, open_books, post, reader  # noqa: F401

YUAN = 100


def _year(year: int, income: int, program: int, admin: int, fundraising: int = 0):
    day = dt.date(year, 6, 30)
    if income:
        post(f"income-{year}", day, (chart.BANK, GEN, income * YUAN),
             (chart.DONATION_INCOME, GEN, -income * YUAN))
    for code, amount in ((chart.PROGRAM_EXPENSE, program), (chart.ADMIN_EXPENSE, admin),
                         (chart.FUNDRAISING_EXPENSE, fundraising)):
        if amount:
            post(f"{code}-{year}", day, (code, GEN, amount * YUAN),
                 (chart.BANK, GEN, -amount * YUAN))


def _books():
    open_books()
    _year(2024, 1_000_000, 600_000, 50_000, 10_000)
    _year(2025, 2_000_000, 750_000, 250_000)
    _year(2026, 0, 1_300_000, 100_000)
    db.session.commit()


def test_each_year_against_the_legal_thresholds(app):
    _books()
    years = charity_gauge(db.session, 2026, Thresholds())
    got = [(y.year, y.base, y.charitable, y.spending_bps, y.spending, y.admin_bps, y.management)
           for y in years]
    assert got == [
        (2024, None, 60_000_000, None, NOT_APPLICABLE, 757, EXEMPT),
        (2025, 100_000_000, 75_000_000, 7500, PASS, 2500, FAIL),
        (2026, 200_000_000, 130_000_000, 6500, FAIL, 714, EXEMPT),
    ]
    assert [y.expenses for y in years] == [66_000_000, 100_000_000, 140_000_000]


def test_the_thresholds_are_settings(app):
    _books()
    loose = Thresholds(min_spending_bps=6500, max_admin_bps=2500, admin_exempt_fen=0)
    got = [(y.spending, y.management) for y in charity_gauge(db.session, 2026, loose)]
    assert got == [(NOT_APPLICABLE, PASS), (PASS, PASS), (PASS, PASS)]
    strict = Thresholds(min_spending_bps=6501, max_admin_bps=715, admin_exempt_fen=0)
    assert [y.management for y in charity_gauge(db.session, 2026, strict)] == [FAIL, FAIL, PASS]


def test_three_year_average_is_the_alternative_base(app):
    _books()
    year_2027 = charity_gauge(db.session, 2027, Thresholds())[-1]
    # No income in 2026: the base is the average of 2024–2026, rounded up to the fen.
    assert (year_2027.year, year_2027.base, year_2027.base_is_average) == (2027, 100_000_000, True)
    assert year_2027.spending == FAIL


def test_gauge_page_shows_a_bar_and_a_verdict_per_year(app, reader):
    _books()
    app.config["CHARITY_MIN_SPENDING_BPS"] = 7000
    client = reader("auditor")
    html = client.get("/finance/statements/gauge?lang=en").get_data(as_text=True)
    assert html.count("<meter") == 2 * len({2024, 2025, 2026} | {dt.date.today().year})
    section = html.split('data-year="2025"')[1].split("</section>")[0]
    assert '<meter id="spend-2025" min="0" max="10000" value="7500" low="7000"' in section
    assert "75.00%" in section and "Meets the threshold" in section
    assert '<meter id="admin-2025" min="0" max="10000" value="2500" high="1000"' in section
    assert "25.00%" in section and "Above the limit" in section
    section = html.split('data-year="2026"')[1].split("</section>")[0]
    assert "65.00%" in section and "Below the threshold" in section
    assert "Exempt (management costs under the floor)" in section
    resp = client.get("/finance/statements/gauge?lang=en&format=csv")
    assert resp.status_code == 200
    rows = resp.get_data().decode("utf-8-sig").splitlines()
    assert rows[2] == "2025,2000000.00,1000000.00,750000.00,75.00%,Meets the threshold," \
                      "250000.00,1000000.00,25.00%,Above the limit"
