"""core.charts: exact SVG for known data — integer scaling, caps, labels, escaping."""
import re

from core import charts
from core.extensions import db
from core.charts import Item
from tests.finance.statements_support import drive, october, reader  # noqa: F401


def widths(svg: str, css: str) -> list[str]:
    return re.findall(rf'<rect x="[^"]*" y="[^"]*" width="([^"]*)" height="[^"]*" fill="[^"]*" class="{css}"', svg)


def test_scaling_is_integer_tenths_and_clamped():
    assert charts.scaled(250, 1000, 1000) == 2500
    assert charts.scaled(1, 3, 100) == 333            # 33.3, rounded down in tenths
    assert charts.scaled(1300, 1000, 1000) == 10000   # over the goal: capped at the track
    assert charts.scaled(-5, 1000, 1000) == 0
    assert charts.scaled(5, 0, 1000) == 0
    assert [charts.n(t) for t in (750, 755, 0, -15)] == ["75", "75.5", "0", "-1.5"]


def test_goal_bar_widths_for_25_100_and_over_100_percent():
    quarter = str(charts.goal_bar(250_00, 1000_00, "25%"))
    assert widths(quarter, "done") == ["250"]
    assert '<rect x="0" y="0" width="1000" height="10" fill="#e0e0e0"/>' in quarter
    assert 'viewBox="0 0 1000 10" width="100%" height="14" preserveAspectRatio="none" aria-hidden="true"' in quarter
    assert "<title>25%</title>" in quarter
    assert widths(str(charts.goal_bar(1000_00, 1000_00, "")), "done") == ["1000"]
    assert widths(str(charts.goal_bar(1300_00, 1000_00, "")), "done") == ["1000"]


def test_goal_bar_shows_matches_as_a_second_segment_up_to_the_goal():
    svg = str(charts.goal_bar(400, 1000, "", extra=300))
    assert widths(svg, "done") == ["400"]
    assert '<rect x="400" y="0" width="300" height="10" fill="#e67e22" class="extra"/>' in svg
    capped = str(charts.goal_bar(800, 1000, "", extra=500))
    assert '<rect x="800" y="0" width="200" height="10" fill="#e67e22" class="extra"/>' in capped
    assert 'class="extra"' not in str(charts.goal_bar(400, 1000, ""))


def test_no_goal_no_bar():
    assert str(charts.goal_bar(500, 0, "x")) == ""


def test_bar_chart_labels_values_and_widths():
    chart = charts.bar_chart([Item("惠南镇", 3000, "¥30.00"), Item("陆家嘴", 12000, "¥120.00"),
                              Item("Empty", -500, "-¥5.00")], "Sub-fund balances", ("Fund", "Balance"))
    svg = str(chart.svg)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 144" width="100%" '
                          'role="img" aria-label="Sub-fund balances" class="chart bar-chart">'
                          "<title>Sub-fund balances</title>"
                          "<desc>惠南镇: ¥30.00; 陆家嘴: ¥120.00; Empty: -¥5.00</desc>")
    # the largest value fills the track (280, the rest is room for the value); ¥30 of ¥120 is
    # a quarter (70); a negative value: none
    bars = re.findall(r'y="([^"]*)" width="([^"]*)" height="14" fill="#c0392b"><title>([^<]*)</title>', svg)
    assert bars == [("24", "70", "惠南镇: ¥30.00"), ("72", "280", "陆家嘴: ¥120.00"), ("120", "0", "Empty: -¥5.00")]
    assert '<text x="0" y="16" font-size="14" fill="#222" text-anchor="start">惠南镇</text>' in svg
    assert '<text x="400" y="84" font-size="14" fill="#222" text-anchor="end">¥120.00</text>' in svg
    assert chart.rows == (("惠南镇", "¥30.00"), ("陆家嘴", "¥120.00"), ("Empty", "-¥5.00"))


def test_long_labels_are_cut_to_fit():
    assert charts.fit("惠南镇", 400) == "惠南镇"
    assert charts.fit("字" * 40, 140) == "字" * 9 + "…"
    assert charts.fit("Jinyang Xincun Subdistrict community charity sub-fund", 140) == "Jinyang Xincun Su…"


def test_every_text_is_escaped():
    evil = '<script>alert("x")</script>'
    chart = charts.bar_chart([Item(evil, 1, evil)], evil, ("a", "b"))
    svg = str(chart.svg)
    assert "<script>" not in svg and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in svg
    assert 'aria-label="&lt;script&gt;' in svg
    assert "<script>" not in str(charts.goal_bar(1, 2, evil))
    cols = charts.column_chart([Item(evil, 1, evil, 1, evil)], evil, ("a", "b", "c"), (evil, evil), evil)
    assert "<script>" not in str(cols.svg)


def test_column_chart_scales_columns_and_the_count_line():
    items = [Item("11-01", 10000, "¥100.00", 1, "1"), Item("11-02", 0, "¥0.00", 0, "0"),
             Item("11-03", 40000, "¥400.00", 4, "4"), Item("11-04", 20000, "¥200.00", 2, "2")]
    chart = charts.column_chart(items, "Gifts per day", ("Day", "Gifts", "Amount"),
                                ("Amount", "Gifts"), "¥400.00")
    svg = str(chart.svg)
    # plot: 220 high less 34 on top and 28 below = 158; four slots of 100, columns 80 wide
    cols = re.findall(r'<rect x="([^"]*)" y="([^"]*)" width="80" height="([^"]*)" fill="#c0392b">'
                      r'<title>([^<]*)</title>', svg)
    assert cols == [("10", "152.5", "39.5", "11-01: ¥100.00, 1"), ("110", "192", "0", "11-02: ¥0.00, 0"),
                    ("210", "34", "158", "11-03: ¥400.00, 4"), ("310", "113", "79", "11-04: ¥200.00, 2")]
    assert '<polyline points="50,152.5 150,192 250,34 350,113"' in svg
    assert svg.count("<circle") == 3   # no dot on the day without gifts
    assert '<text x="0" y="210" font-size="12" fill="#222" text-anchor="start">11-01</text>' in svg
    assert '<text x="400" y="210" font-size="12" fill="#222" text-anchor="end">11-04</text>' in svg
    assert '>¥400.00</text>' in svg and '>11-03</text>' in svg
    assert chart.rows == (("11-01", "1", "¥100.00"), ("11-02", "0", "¥0.00"),
                          ("11-03", "4", "¥400.00"), ("11-04", "2", "¥200.00"))


def test_column_chart_labels_at_most_six_days_but_first_and_last():
    items = [Item(f"d{k}", k, str(k), 1, "1") for k in range(30)]
    svg = str(charts.column_chart(items, "t", ("a", "b", "c"), ("x", "y"), "29").svg)
    labels = re.findall(r'text-anchor="(?:start|middle|end)">(d\d+)</text>', svg)
    assert labels[0] == "d0" and labels[-1] == "d29" and len(labels) <= 7
    assert str(charts.column_chart([], "t", ("a", "b", "c"), ("x", "y"), "").svg) == ""


# -- the charts on the pages, from the statements' own queries -------------------------------

def test_gifts_over_time_equals_the_donations_register(drive, reader):
    import datetime as dt

    from finance.statements_registers import gifts_by_day
    from tests.finance.statements_support import book_gift, csv_of

    book_gift(drive, "pi:1", 10000, dt.datetime(2026, 10, 5, 2))
    book_gift(drive, "pi:2", 5000, dt.datetime(2026, 10, 5, 9))
    book_gift(drive, "bank:1", 5000, dt.datetime(2026, 10, 31, 17), channel="bank_transfer")  # 1 Nov in Shanghai
    book_gift(drive, "cash:1", 20000, dt.datetime(2026, 10, 20, 3), channel="cash")
    rows = csv_of(reader("finance").get("/finance/statements/donations?lang=en&start=2026-10-01"
                                        "&end=2026-11-30&format=csv"))[1:-1]
    register = {}
    for row in rows:  # Date, Receipt, Donor, Channel, Drive, Designation, Amount, Refunded, Net
        count, fen = register.get(row[0], (0, 0))
        register[row[0]] = (count + 1, fen + int(row[6].replace(".", "")))
    series = gifts_by_day(db.session, drive.id, "CNY")
    assert {day.isoformat(): (count, fen) for day, count, fen in series} == register == {
        "2026-10-05": (2, 15000), "2026-10-20": (1, 20000), "2026-11-01": (1, 5000)}

    html = reader("staff").get(f"/staff/campaigns/{drive.id}?lang=en").get_data(as_text=True)
    columns = re.findall(r'width="[^"]*" height="([^"]*)" fill="#c0392b"><title>([^<]*)</title>', html)
    assert len(columns) == 28   # 5 October to 1 November, the days without gifts as zeros
    assert columns[0] == ("118.5", "Oct 5: CN¥150.00, 2 gifts")   # 150 of 200 on a 158 plot
    assert columns[15] == ("158", "Oct 20: CN¥200.00, 1 gift")
    assert columns[-1] == ("39.5", "Nov 1: CN¥50.00, 1 gift")
    assert columns[1] == ("0", "Oct 6: CN¥0.00, 0 gifts")
    assert "<th scope=\"row\">Oct 20</th><td class=\"num\">1 gift</td><td class=\"num\">CN¥200.00</td>" in html


def test_a_campaign_without_gifts_says_so(drive, reader):
    html = reader("staff").get(f"/staff/campaigns/{drive.id}?lang=en").get_data(as_text=True)
    assert "Gifts over time" in html and "No gifts yet." in html and "column-chart" not in html


def test_sub_fund_balances_on_the_fund_statement(october, reader):
    from tests.finance.statements_support import line

    html = reader("finance").get("/finance/statements/funds?lang=en&start=2026-10-01"
                                 "&end=2026-10-31").get_data(as_text=True)
    # Huinan: ¥100 in, ¥3.40 fee, ¥60 disbursed = ¥36.60; the goods and general funds are no sub-funds
    assert line(html, "SUB-HUINAN").endswith("CN¥36.60")
    bars = re.findall(r'width="([^"]*)" height="14" fill="#c0392b"><title>([^<]*)</title>', html)
    assert bars == [("280", "Huinan community sub-fund: CN¥36.60")]
    assert 'aria-label="Community sub-fund balances at 2026-10-31"' in html
    assert '<th scope="row">Huinan community sub-fund</th><td class="num">CN¥36.60</td>' in html


def test_the_flow_chart_fits_its_container_and_says_its_bands_in_words():
    from campaigns.homes.sankey import Node, flow_svg

    svg = str(flow_svg([Node("a", 0, "Raised"), Node("f", 1, "Fund <x>"), Node("o", 2, "Spent")],
                       [("a", "f", 400), ("f", "o", 100)], "Where the money went"))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 760 420" width="100%" '
                          'role="img" aria-label="Where the money went" class="flow-chart">'
                          "<title>Where the money went</title>"
                          "<desc>Raised → Fund &lt;x&gt;: 400; Fund &lt;x&gt; → Spent: 100</desc>")
