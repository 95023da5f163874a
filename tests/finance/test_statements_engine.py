"""The statement engines (ledger.statements) on the October books: exact figures, written out
as a bookkeeper would, and the identities that tie the statements together."""
import datetime as dt

from core.extensions import db
from ledger import chart
from ledger.reports import fund_statement
from ledger.statements import Split, activities, financial_position, fund_balances
from tests.finance.statements_support import GEN, GOODS, HUINAN, OCT_1, OCT_31, october, post  # noqa: F401


def _lines(lines):
    return {line.code: line.amount for line in lines}


def test_financial_position_at_the_end_of_october(october):
    fp = financial_position(db.session, OCT_31)
    assert _lines(fp.assets) == {"1002": Split(4500, 3660), "100901": Split(0, 3000),
                                 "1201": Split(0, 500)}
    assert _lines(fp.liabilities) == {"2202": Split(0, 2000)}
    assert fp.net_assets == Split(4500, 5160)
    assert (fp.total_assets, fp.total_liabilities, fp.total_liabilities_and_net_assets) == \
        (11660, 2000, 11660)
    assert fp.balanced


def test_financial_position_as_at_a_date_sees_only_what_was_posted_by_then(october):
    fp = financial_position(db.session, dt.date(2026, 10, 6))
    assert _lines(fp.assets) == {"100901": Split(5000, 9660)}
    assert fp.liabilities == [] and fp.net_assets == Split(5000, 9660)
    empty = financial_position(db.session, dt.date(2026, 9, 30))
    assert (empty.assets, empty.total_assets, empty.balanced) == ([], 0, True)


def test_activities_show_restricted_spending_released_to_unrestricted(october):
    act = activities(db.session, OCT_1, OCT_31)
    assert _lines(act.income) == {"4101": Split(5000, 13000)}
    # Every expense is presented as unrestricted (民间非营利组织会计制度) ...
    assert _lines(act.expenses) == {"5101": Split(7500, 0), "5201": Split(500, 0),
                                    "5301": Split(340, 0)}
    # ... met by releasing what the restricted funds spent: 60.00 + 15.00 + 3.40.
    assert act.released == 7840
    assert act.release == Split(7840, -7840) and act.release.total == 0
    assert act.total_income == Split(5000, 13000)
    assert act.total_expenses == Split(8340, 0)
    assert act.change == Split(4500, 5160)
    assert (act.opening, act.direct, act.closing) == (Split(), Split(), Split(4500, 5160))


def test_activities_tie_to_the_two_statements_of_financial_position(october):
    # Opening balances posted straight to net assets on 30 September, and one in October.
    post("opening-gen", dt.date(2026, 9, 30), (chart.BANK, GEN, 100000),
         (chart.NET_ASSETS_UNRESTRICTED, GEN, -100000))
    post("opening-huinan", dt.date(2026, 10, 20), (chart.BANK, HUINAN, 2000),
         (chart.NET_ASSETS_RESTRICTED, HUINAN, -2000))
    db.session.commit()
    act = activities(db.session, OCT_1, OCT_31)
    assert act.opening == Split(100000, 0)
    assert act.direct == Split(0, 2000)
    assert act.change == Split(4500, 5160)
    assert act.opening + act.change + act.direct == act.closing == Split(104500, 7160)
    assert financial_position(db.session, OCT_31).net_assets == act.closing
    assert financial_position(db.session, dt.date(2026, 9, 30)).net_assets == act.opening


def test_fund_balances_summarise_every_fund_and_agree_with_each_fund_statement(october):
    fb = fund_balances(db.session, OCT_1, OCT_31)
    got = [(r.code, r.restriction, r.opening, r.inflow, r.outflow, r.closing) for r in fb.rows]
    assert got == [(GEN, "unrestricted", 0, 5000, 500, 4500),
                   (GOODS, "restricted", 0, 3000, 1500, 1500),
                   (HUINAN, "restricted", 0, 10000, 6340, 3660)]
    assert [fb.total(a) for a in ("opening", "inflow", "outflow", "closing")] == \
        [0, 18000, 8340, 9660]
    for r in fb.rows:
        st = fund_statement(db.session, r.code, OCT_1, OCT_31)
        assert (st.opening, st.inflow, st.outflow, st.closing) == \
            (r.opening, r.inflow, r.outflow, r.closing)


def test_fund_balances_carry_october_into_november_as_the_opening(october):
    post("disb-2", dt.date(2026, 11, 3), (chart.PROGRAM_EXPENSE, HUINAN, 1000),
         (chart.BANK, HUINAN, -1000))
    db.session.commit()
    fb = fund_balances(db.session, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    got = {r.code: (r.opening, r.inflow, r.outflow, r.closing) for r in fb.rows}
    assert got == {GEN: (4500, 0, 0, 4500), GOODS: (1500, 0, 0, 1500),
                   HUINAN: (3660, 0, 1000, 2660)}


def test_the_statements_read_one_currency_only(october):
    assert financial_position(db.session, OCT_31, currency="USD").assets == []
    assert fund_balances(db.session, OCT_1, OCT_31, currency="USD").rows == []
