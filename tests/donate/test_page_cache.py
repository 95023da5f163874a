"""The public pages at the giving-day peak (issue #9): progress is counted once per
``PUBLIC_CACHE_SECONDS`` and shared by the campaign page, the home page and the JSON; a
donor's own gift is never read from there; the JSON is publicly cacheable with an ETag, the
pages stay private; and the pages cost a fixed, small number of queries.

Time moves by a controllable clock in cachelib's SimpleCache (``clock`` below), never by
sleeping."""
import re

import cachelib.simple
import pytest
import sqlalchemy as sa

from core.extensions import db

SECONDS = 5


@pytest.fixture
def clock(monkeypatch):
    """The SimpleCache's clock, moved by hand: ``clock.advance(seconds)``."""

    class Clock:
        now = 1_800_000_000.0

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(cachelib.simple, "time", lambda: fake.now)
    return fake


def _drive(slug="winter-2024", title="冬季帮困"):
    from campaigns import services

    campaign = services.create_campaign(db.session, services.CampaignInput(
        slug=slug, title_zh=title, title_en=title, goal_fen=100_000, donor_goal=8))
    services.publish_campaign(db.session, campaign)
    db.session.commit()
    return campaign


def give(campaign, amount_fen, email, name=""):
    from donate.models import Donation

    donation = Donation(campaign=campaign, designation=campaign.designations[0], amount_fen=amount_fen,
                        status="succeeded", email=email, donor_name=name)
    db.session.add(donation)
    db.session.commit()
    return donation


@pytest.fixture
def cached_app(make_app, clock):
    from ledger.chart import seed_chart

    app = make_app(PUBLIC_CACHE_SECONDS=SECONDS)
    seed_chart(db.session)
    db.session.commit()
    return app


@pytest.fixture
def drive(cached_app):
    campaign = _drive()
    give(campaign, 10_000, "wang@example.org", "王先生")
    return campaign


def raised(client, slug="winter-2024") -> int:
    return client.get(f"/api/v1/campaigns/{slug}").get_json()["raised_fen"]


def page_raised(client, path) -> list[int]:
    html = client.get(path).get_data(as_text=True)
    return [int(v) for v in re.findall(r'data-raised-fen="(\d+)"', html)]


def test_caching_is_off_in_the_test_config(app, client):
    assert app.config["PUBLIC_CACHE_SECONDS"] == 0
    campaign = _drive()
    assert raised(client) == 0
    give(campaign, 2_500, "li@example.org")
    assert raised(client) == 2_500
    assert client.get("/api/v1/campaigns/winter-2024").headers["Cache-Control"] == "public, no-cache"


def test_a_cached_figure_is_shared_and_updates_after_the_ttl(cached_app, drive, clock):
    client = cached_app.test_client()
    assert raised(client) == 10_000
    assert page_raised(client, "/c/winter-2024") == [10_000]
    give(drive, 5_000, "li@example.org")
    clock.advance(SECONDS - 1)
    # Still inside the TTL: the JSON, the campaign page and the home page share one figure.
    assert raised(client) == 10_000
    assert page_raised(client, "/c/winter-2024") == [10_000]
    assert page_raised(client, "/") == [10_000]
    clock.advance(2)
    assert raised(client) == 15_000
    assert client.get("/api/v1/campaigns/winter-2024").get_json()["donors"] == 2
    assert page_raised(client, "/c/winter-2024") == [15_000]


def test_the_donor_sees_their_own_gift_at_once_while_totals_are_cached(cached_app, drive):
    client = cached_app.test_client()
    assert raised(client) == 10_000
    mine = give(drive, 8_800, "zhao@example.org", "赵女士")
    html = client.get(f"/donations/{mine.token}/thanks?lang=en").get_data(as_text=True)
    assert '<span id="donation-amount">CN¥88.00</span>' in html
    assert 'data-status="succeeded"' in html
    # … while the drive's public total still lags (by at most the TTL).
    assert raised(client) == 10_000


def test_the_json_is_public_for_the_ttl_with_an_etag(cached_app, drive, clock):
    client = cached_app.test_client()
    first = client.get("/api/v1/campaigns/winter-2024")
    assert first.headers["Cache-Control"] == "public, max-age=5"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    etag = first.headers["ETag"]
    again = client.get("/api/v1/campaigns/winter-2024", headers={"If-None-Match": etag})
    assert (again.status_code, again.get_data()) == (304, b"")
    give(drive, 1_000, "sun@example.org")
    clock.advance(SECONDS + 1)
    changed = client.get("/api/v1/campaigns/winter-2024", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["raised_fen"] == 11_000


def test_an_unknown_campaign_is_a_404_that_is_not_cached(cached_app, drive):
    client = cached_app.test_client()
    resp = client.get("/api/v1/campaigns/no-such-drive")
    assert resp.status_code == 404 and "max-age" not in resp.headers.get("Cache-Control", "")
    _drive("late-drive", "迟到")
    assert client.get("/api/v1/campaigns/late-drive").status_code == 200


def sign_in_staff(client, email="staff@example.org"):
    from core.auth import create_user

    create_user(email, "correct horse battery", ["staff"])
    db.session.commit()
    resp = client.post("/login", data={"email": email, "password": "correct horse battery"})
    assert resp.status_code == 302


def test_pages_stay_private_and_signed_in_pages_are_not_reused(cached_app, drive):
    client = cached_app.test_client()
    for path in ("/", "/c/winter-2024"):
        resp = client.get(path)
        # The page carries the visitor's CSRF token: never a shared cache's to keep.
        assert resp.headers["Cache-Control"] == "private, max-age=5"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert 'name="csrf-token" content="' in resp.get_data(as_text=True)
    sign_in_staff(client)
    assert client.get("/c/winter-2024").headers["Cache-Control"] == "private, no-cache"


def queries(client, path) -> int:
    """How many SQL statements one GET of ``path`` runs."""
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    db.session.remove()  # nothing left over from the set-up in the identity map
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_campaign_page_costs_seven_queries_cold_and_none_warm(cached_app, drive):
    client = cached_app.test_client()
    # The campaign, raised and donors, matched, live pledges, homes, the wall, designations.
    assert queries(client, "/c/winter-2024") == 7
    assert queries(client, "/c/winter-2024") == 0
    assert queries(client, "/api/v1/campaigns/winter-2024") == 0
    assert queries(client, "/") == 1  # the live campaigns; their figures are shared


def test_the_home_page_costs_the_same_for_one_drive_or_many(app, client):
    _drive()
    # The live campaigns, then one query per figure: raised and donors, matched, pledges, homes.
    assert queries(client, "/") == 5
    for n in range(3):
        give(_drive(f"drive-{n}", f"第{n}个"), 1_000 * (n + 1), f"d{n}@example.org")
    assert queries(client, "/") == 5
    assert sorted(page_raised(client, "/")) == [0, 1_000, 2_000, 3_000]


def test_the_staff_preview_always_counts_afresh(cached_app, drive):
    client = cached_app.test_client()
    assert page_raised(client, "/c/winter-2024") == [10_000]
    give(drive, 4_000, "qian@example.org")
    sign_in_staff(client, "preview@example.org")
    assert page_raised(client, "/c/winter-2024/preview") == [14_000]
    assert page_raised(client, "/c/winter-2024") == [10_000]  # the public page still lags


TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def test_a_shared_page_carries_each_visitors_own_csrf_token(cached_app, drive):
    first, second = cached_app.test_client(), cached_app.test_client()
    pages = [c.get("/c/winter-2024").get_data(as_text=True) for c in (first, second)]
    tokens = [TOKEN.search(html).group(1) for html in pages]
    assert tokens[0] != tokens[1] and not any("csrf-hole" in html for html in pages)
    assert TOKEN.sub("", pages[0]) == TOKEN.sub("", pages[1])  # one page, rendered once
    with first.session_transaction() as one, second.session_transaction() as two:
        assert one["csrf_token"] != two["csrf_token"]


def test_a_page_is_kept_per_language(cached_app, drive):
    client = cached_app.test_client()
    assert '<html lang="zh-CN"' in client.get("/c/winter-2024").get_data(as_text=True)
    assert '<html lang="en"' in client.get("/c/winter-2024?lang=en").get_data(as_text=True)
    # The lang cookie now says English: the plain address is another page for this visitor.
    assert '<html lang="en"' in client.get("/c/winter-2024").get_data(as_text=True)
    assert '<html lang="zh-CN"' in cached_app.test_client().get("/c/winter-2024").get_data(as_text=True)


def test_where_the_money_went_is_kept_like_the_campaign_page(cached_app, drive):
    client = cached_app.test_client()
    path = "/c/winter-2024/where-the-money-went"
    first = client.get(path)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, max-age=5"
    assert queries(client, path) == 0
