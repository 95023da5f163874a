"""What donors see of matching: the banner, "raised" with and without matches, the progress
JSON, the preview on the donate form (JSON and server-side), and the match on the thank-you
page and the receipt."""
from datetime import timedelta

import pytest

from core.auth import utcnow
from core.extensions import db
from donate import receipts


def page(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def now():
    return utcnow()


@pytest.fixture
def live(make_pledge, now):
    """``live(**terms)``: a pledge (1:1, ¥1,000 by default) whose window is open now."""
    def make(**terms):
        terms.setdefault("starts_at", now - timedelta(days=1))
        terms.setdefault("ends_at", now + timedelta(days=30))
        return make_pledge(**terms)

    return make


@pytest.fixture
def used(live, give, now):
    """The 1:1 pledge of ¥1,000 with ¥300 of it matched to one gift."""
    pledge = live()
    give(30_000, at=now)
    return pledge


def test_the_banner_names_the_sponsor_ratio_and_what_is_left(client, used):
    body = page(client.get("/c/wanren-test?lang=en"))
    assert "For every ¥1 you give, Xinghe Tech adds ¥1" in body
    assert "CN¥700.00 of matching left" in body
    zh = page(client.get("/c/wanren-test?lang=zh"))
    assert "星河科技" in zh and "¥700.00" in zh


def test_the_banner_shows_the_logo_of_a_sponsor_gone_live(client, live, make_pledge):
    from campaigns.matching.services import create_sponsor

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    shown = live(sponsor=create_sponsor(db.session, name="有标志", logo=png, logo_type="image/png"))
    hidden = create_sponsor(db.session, name="草稿", logo=png, logo_type="image/png")
    make_pledge(status="draft", sponsor=hidden)
    assert f'src="/sponsors/{shown.sponsor_id}/logo"' in page(client.get("/c/wanren-test?lang=en"))
    logo = client.get(f"/sponsors/{shown.sponsor_id}/logo")
    assert (logo.status_code, logo.mimetype, logo.data) == (200, "image/png", png)
    assert logo.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/sponsors/{hidden.id}/logo").status_code == 404


def test_a_banner_per_pledge_in_priority_order_with_uneven_ratios(client, live):
    from campaigns.matching.services import create_sponsor

    live(ratio_num=1, ratio_den=2, priority=20, sponsor=create_sponsor(db.session, name="第二家"))
    live(ratio_num=2, ratio_den=1, priority=10)
    body = page(client.get("/c/wanren-test?lang=en"))
    first = body.index("For every ¥1 you give, Xinghe Tech adds ¥2")
    second = body.index("For every ¥2 you give, 第二家 adds ¥1")
    assert first < second


def test_no_banner_without_a_live_pledge_in_its_window(client, live, make_pledge, now):
    make_pledge(status="draft")
    live(starts_at=now + timedelta(days=1))
    body = page(client.get("/c/wanren-test?lang=en"))
    assert 'id="match-banner"' not in body and "of matching left" not in body


def test_raised_is_gifts_only_and_says_so_with_matches(client, used):
    body = page(client.get("/c/wanren-test?lang=en"))
    assert 'data-raised-fen="30000"' in body
    assert "Gifts only. Including CN¥300.00 of sponsors’ matches: CN¥600.00." in body
    assert "Gifts only. Including CN¥300.00 of sponsors’ matches: CN¥600.00." in page(client.get("/?lang=en"))


def test_the_progress_json_gains_matches_and_pools(client, live, give, now):
    pledge = live()
    give(30_000, at=now)
    give(5_000, at=now)
    body = client.get("/api/v1/campaigns/wanren-test").get_json()
    assert (body["raised_fen"], body["matched_fen"], body["raised_with_matches_fen"]) == (35_000, 35_000, 70_000)
    assert body["pledges"] == [{
        "pledge_id": pledge.id, "sponsor_id": pledge.sponsor_id, "sponsor_has_logo": False,
        "sponsor_zh": "星河科技", "sponsor_en": "Xinghe Tech",
        "ratio_num": 1, "ratio_den": 1, "pool_fen": 100_000, "pool_remaining_fen": 65_000,
        "currency": "CNY"}]


def test_held_and_refunded_matches_are_not_counted(app, client, live, give, now):
    from donate.services import book_refund

    app.config["MATCHING_BURST_GIFTS"] = 2
    live()
    first = give(10_000, at=now, email="same@example.org")
    give(5_000, at=now, email="same@example.org")  # held for review: not booked, not shown
    book_refund(db.session, first, "re_half", 4_000, "staff@example.org")
    db.session.commit()
    body = client.get("/api/v1/campaigns/wanren-test").get_json()
    assert (body["raised_fen"], body["matched_fen"], body["raised_with_matches_fen"]) == (11_000, 6_000, 17_000)
    # The held ¥50 still takes its share of the pool while it waits.
    assert body["pledges"][0]["pool_remaining_fen"] == 100_000 - 6_000 - 5_000


def test_the_match_preview_json(client, live, drive):
    live(ratio_num=2, ratio_den=1, cap_per_gift_fen=15_000)
    resp = client.get("/c/wanren-test/match-preview?amount=100&lang=en")
    assert resp.get_json() == {"gift_fen": 10_000, "match_fen": 15_000, "total_fen": 25_000,
                               "currency": "CNY",
                               "text": "With matching, your CN¥100.00 becomes CN¥250.00."}
    sub = drive.designation_for("SF-LJZ").id
    assert client.get(f"/c/wanren-test/match-preview?amount=5.5&designation={sub}").get_json()["match_fen"] == 1_100


def test_the_preview_respects_eligible_designations_and_the_minimum(client, live, drive):
    sub = drive.designation_for("SF-LJZ")
    live(designations=[sub], min_gift_fen=5_000)
    general = drive.designation_for(drive.fund_code).id
    assert client.get(f"/c/wanren-test/match-preview?amount=100&designation={general}").get_json() == {
        "gift_fen": 10_000, "match_fen": 0, "total_fen": 10_000, "currency": "CNY", "text": ""}
    assert client.get(f"/c/wanren-test/match-preview?amount=49.99&designation={sub.id}").get_json()["match_fen"] == 0
    assert client.get(f"/c/wanren-test/match-preview?amount=50&designation={sub.id}").get_json()["match_fen"] == 5_000


@pytest.mark.parametrize("amount, message", [
    ("", "Enter an amount like 50 or 12.50."),
    ("abc", "Enter an amount like 50 or 12.50."),
    ("-5", "The amount must be more than zero."),
    ("1.234", "Use at most two decimal places (fen)."),
])
def test_a_bad_preview_amount_is_a_400_with_a_message(client, live, amount, message):
    live()
    resp = client.get(f"/c/wanren-test/match-preview?amount={amount}&lang=en")
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "amount", "message": message}


def test_the_preview_of_an_unknown_campaign_or_designation_is_refused(client, drive):
    assert client.get("/c/no-such/match-preview?amount=100").status_code == 404
    resp = client.get("/c/wanren-test/match-preview?amount=100&designation=999&lang=en")
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "designation",
                               "message": "Please choose one of this drive's designations."}


def test_the_preview_is_rate_limited(app, client, live):
    live()
    app.config["MATCH_PREVIEW_RATE_LIMIT"] = "3 per minute"
    codes = [client.get("/c/wanren-test/match-preview?amount=100").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_the_donate_form_shows_the_match_without_javascript(client, live):
    live()
    body = page(client.get("/c/wanren-test/donate?lang=en"))
    # The first preset (¥50) until the donor picks another amount.
    assert "With matching, your CN¥50.00 becomes CN¥100.00." in body
    assert 'data-url="/c/wanren-test/match-preview?lang=en"' in body
    picked = page(client.post("/c/wanren-test/donate?lang=en", data={"preset": "20000", "designation": ""}))
    assert "With matching, your CN¥200.00 becomes CN¥400.00." in picked


def test_the_donate_form_without_a_pledge_has_no_match_line(client, drive):
    body = page(client.get("/c/wanren-test/donate?lang=en"))
    assert "With matching" not in body


def test_thanks_page_and_receipt_show_the_actual_match(app, client, live, give, now):
    live(pool_fen=12_000)
    give(10_000, at=now)
    gift = give(10_000, at=now)  # only ¥20 of the pool was left
    body = page(client.get(f"/donations/{gift.token}/thanks?lang=en"))
    assert 'data-match-fen="2000"' in body
    assert "Xinghe Tech matched your gift with CN¥20.00: your CN¥100.00 became CN¥120.00." in body
    code = receipts.receipt_code(app.config["SECRET_KEY"], gift.receipt_number)
    receipt = page(client.get(f"/receipts/{gift.receipt_number}?code={code}&lang=en"))
    assert 'id="receipt-match" data-match-fen="2000"' in receipt
    assert "星河科技 / <span lang=\"en\">Xinghe Tech</span>" in receipt


def test_thanks_page_without_a_match_says_nothing_of_matching(client, drive, give, now):
    gift = give(10_000, at=now)
    assert 'id="gift-match"' not in page(client.get(f"/donations/{gift.token}/thanks?lang=en"))
