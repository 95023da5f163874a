"""Sharing: Open Graph / Twitter / WeChat meta data with absolute URLs on campaign and wish
pages in both languages, PNG share cards (1200×630 and 500×500) cached by content, and the
progress bars against each goal."""
import io
import re

import pytest
from PIL import Image

from core.extensions import db
from tests.wishes import support as wish_support


def meta(html: str, key: str) -> list[str]:
    """Every ``content`` of the meta tags ``property|name|itemprop = key``."""
    return re.findall(rf'<meta (?:property|name|itemprop)="{re.escape(key)}" content="([^"]*)">', html)


def give(campaign, amount_fen, status="succeeded", email=""):
    from donate.models import Donation

    db.session.add(Donation(campaign=campaign, designation=campaign.designations[0], status=status,
                            amount_fen=amount_fen, currency="CNY", email=email))
    db.session.commit()


@pytest.fixture
def live(make_drive):
    """A live drive with a ¥1,000 goal and ¥250 given (25%)."""
    drive = make_drive("live", slug="winter", goal_fen=100_000, donor_goal=8)
    give(drive, 25_000, email="wang@example.org")
    return drive


@pytest.fixture
def wish(app):
    drive = wish_support.make_drive(db.session, slug="wishes")
    made = wish_support.make_wish(db.session, drive, "open")
    db.session.commit()
    return made


def png(resp, size):
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "image/png"
    image = Image.open(io.BytesIO(resp.get_data()))
    assert (image.format, image.size) == ("PNG", size)
    return image


def test_campaign_page_has_share_meta_in_chinese(client, live):
    html = client.get("/c/winter").get_data(as_text=True)
    assert meta(html, "og:title") == ["万人捐、帮万家"]
    assert meta(html, "og:url") == ["http://localhost/c/winter"]
    assert meta(html, "og:image") == ["http://localhost/c/winter/share.png",
                                      "http://localhost/c/winter/share-square.png"]
    assert meta(html, "og:locale") == ["zh_CN"] and meta(html, "og:locale:alternate") == ["en_US"]
    assert meta(html, "og:type") == ["website"]
    assert meta(html, "twitter:card") == ["summary_large_image"]
    assert meta(html, "twitter:image") == ["http://localhost/c/winter/share.png"]
    assert meta(html, "image") == ["http://localhost/c/winter/share-square.png"]   # WeChat
    assert meta(html, "name") == ["万人捐、帮万家"] and meta(html, "description")
    assert '<link rel="stylesheet" href="/static/css/charts.css">' in html


def test_campaign_page_has_share_meta_in_english(client, live):
    html = client.get("/c/winter?lang=en").get_data(as_text=True)
    assert meta(html, "og:title") == ["10,000 donors help 10,000 homes"]
    assert meta(html, "og:locale") == ["en_US"] and meta(html, "og:locale:alternate") == ["zh_CN"]
    assert meta(html, "og:image")[0] == "http://localhost/c/winter/share.png"
    assert "Download the share picture" in html


def test_progress_bars_against_each_goal(client, live):
    html = client.get("/c/winter?lang=en").get_data(as_text=True)
    # ¥250 of ¥1,000: a quarter of the 1000-wide track; one donor of eight: 12%
    assert re.findall(r'width="(\d+)" height="10" fill="#c0392b" class="done"', html) == ["250", "125"]
    assert "<title>Money raised: 25%</title>" in html
    assert '<progress max="100" value="25" aria-label="Money raised" class="sr-only">' in html
    home = client.get("/?lang=en").get_data(as_text=True)
    assert re.findall(r'width="(\d+)" height="10" fill="#c0392b" class="done"', home) == ["250"]


def test_over_the_goal_the_bar_is_full(client, live):
    give(live, 200_000)
    html = client.get("/c/winter?lang=en").get_data(as_text=True)
    assert re.findall(r'width="(\d+)" height="10" fill="#c0392b" class="done"', html)[0] == "1000"


def test_share_cards_are_pngs_cached_by_content(client, live):
    resp = client.get("/c/winter/share.png")
    png(resp, (1200, 630))
    assert resp.headers["Cache-Control"] in ("public, max-age=3600", "max-age=3600, public")
    etag = resp.headers["ETag"]
    again = client.get("/c/winter/share.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    png(client.get("/c/winter/share-square.png"), (500, 500))
    give(live, 1_000)   # the card shows the new total: a new ETag
    assert client.get("/c/winter/share.png").headers["ETag"] != etag


def test_no_card_and_no_meta_for_a_draft(client, make_drive, login):
    make_drive("draft", slug="secret")
    assert client.get("/c/secret/share.png").status_code == 404
    assert client.get("/c/secret/share-square.png").status_code == 404
    assert client.get("/c/nobody/share.png").status_code == 404
    login("staff")
    preview = client.get("/c/secret/preview").get_data(as_text=True)
    assert meta(preview, "og:image") == []


def test_a_campaign_without_goals_has_bars_without_percentages(client, make_drive):
    drive = make_drive("live", slug="nogoal", goal_fen=0)
    give(drive, 12_345)
    resp = client.get("/c/nogoal?lang=en")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'class="goal-bar"' not in html and "<progress" not in html
    assert "123.45" in html
    png(client.get("/c/nogoal/share.png"), (1200, 630))


def test_escaped_title_in_meta(client, make_drive):
    make_drive("live", slug="evil", title_zh='<script>alert("x")</script>')
    html = client.get("/c/evil").get_data(as_text=True)
    assert meta(html, "og:title") == ["&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"]
    assert '<script>alert("x")' not in html
    png(client.get("/c/evil/share.png"), (1200, 630))


def test_wish_page_share_meta_qr_and_card(client, wish):
    html = client.get(f"/w/{wish.id}").get_data(as_text=True)
    assert meta(html, "og:url") == [f"http://localhost/w/{wish.id}"]
    assert meta(html, "og:image") == [f"http://localhost/w/{wish.id}/share.png",
                                      f"http://localhost/w/{wish.id}/share-square.png"]
    assert meta(html, "og:type") == ["article"] and meta(html, "og:locale") == ["zh_CN"]
    assert meta(html, "og:description") == ["想要一个新书包。"]
    assert "新书包" in html and "<svg" in html and f"/c/wishes/wishes/{wish.id}/reserve" in html
    english = client.get(f"/w/{wish.id}?lang=en").get_data(as_text=True)
    assert meta(english, "og:locale") == ["en_US"]
    assert meta(english, "og:title") == ["小雨，10–12岁 wishes for 新书包"]
    png(client.get(f"/w/{wish.id}/share.png"), (1200, 630))
    png(client.get(f"/w/{wish.id}/share-square.png"), (500, 500))
    board = client.get("/c/wishes/wishes").get_data(as_text=True)
    assert f'href="/w/{wish.id}"' in board


def test_no_page_or_card_for_a_draft_wish(client, wish):
    draft = wish_support.make_wish(db.session, wish.campaign, "draft", item="秘密")
    db.session.commit()
    assert client.get(f"/w/{draft.id}").status_code == 404
    assert client.get(f"/w/{draft.id}/share.png").status_code == 404
    assert client.get("/w/99999").status_code == 404


def test_sponsors_matches_are_a_second_segment_of_the_money_bar(client, app):
    from tests.matching import support as matching

    drive = matching.make_drive(db.session)
    drive.goal_fen = 100_000   # ¥1,000
    db.session.commit()
    matching.make_pledge(db.session, drive)                 # 1:1
    matching.give(db.session, drive, 30_000)                # ¥300, matched with ¥300
    html = client.get("/c/wanren-test?lang=en").get_data(as_text=True)
    assert '<rect x="0" y="0" width="300" height="10" fill="#c0392b" class="done"/>' in html
    assert '<rect x="300" y="0" width="300" height="10" fill="#e67e22" class="extra"/>' in html
    assert 'class="hint legend-extra" data-matched-fen="30000"' in html
