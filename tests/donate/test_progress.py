"""Progress, one definition: raised counts counted gifts net of refunds (fee cover included),
donors are distinct emails plus each email-less gift, homes helped is 0 until deliveries."""
import pytest

from core.extensions import db


@pytest.fixture
def drive(app):
    """A live pooled drive with goals, and a second live drive to keep gifts apart."""
    from campaigns import services
    from ledger.chart import seed_chart

    seed_chart(db.session)
    made = []
    for slug, goal in (("winter-2024", 100_000), ("other-drive", 0)):
        campaign = services.create_campaign(db.session, services.CampaignInput(
            slug=slug, title_zh="冬季帮困", goal_fen=goal, donor_goal=8, homes_goal=10))
        services.publish_campaign(db.session, campaign)
        made.append(campaign)
    db.session.commit()
    return made[0]


def give(campaign, amount_fen, status="succeeded", email="", refunded_fen=0, currency="CNY", **kw):
    from donate.models import Donation

    donation = Donation(campaign=campaign, designation=campaign.designations[0], amount_fen=amount_fen,
                        status=status, email=email, refunded_fen=refunded_fen, currency=currency, **kw)
    db.session.add(donation)
    db.session.commit()
    return donation


@pytest.fixture
def gifts(drive):
    from campaigns.services import campaign_by_slug

    give(drive, 10_000, "succeeded", email="wang@example.org")
    give(drive, 20_000, "partially_refunded", email="Wang@Example.org", refunded_fen=5_000)
    give(drive, 30_000, "refunded", email="li@example.org", refunded_fen=30_000)
    give(drive, 40_000, "failed", email="zhao@example.org")
    give(drive, 50_000, "pending", email="qian@example.org")
    give(drive, 60_000, "canceled")
    give(drive, 7_000, "disputed")
    give(drive, 3_000, "succeeded", fee_cover_fen=100)
    give(campaign_by_slug(db.session, "other-drive"), 99_000, "succeeded", email="sun@example.org")
    return drive


def test_progress_counts_only_counted_gifts_net_of_refunds(gifts):
    from donate.progress import campaign_progress

    p = campaign_progress(db.session, gifts)
    # 10,000 + (20,000 - 5,000) + 7,000 (disputed, still counted) + 3,000 (fee cover included)
    assert p.raised_fen == 35_000
    # wang (twice, any case) + the two gifts without an email
    assert p.donors == 3
    assert p.homes_helped == 0
    assert (p.raised_percent, p.donors_percent, p.homes_percent) == (35, 37, 0)


def test_progress_of_a_drive_without_gifts(drive):
    from donate.progress import campaign_progress

    p = campaign_progress(db.session, drive)
    assert (p.raised_fen, p.donors, p.raised_percent) == (0, 0, 0)


def test_progress_for_many_campaigns_matches_one_by_one(gifts):
    from campaigns.services import list_campaigns
    from donate.progress import campaign_progress, progress_by_campaign

    campaigns = list_campaigns(db.session)
    many = progress_by_campaign(db.session, campaigns)
    assert many == {c.id: campaign_progress(db.session, c) for c in campaigns}
    assert sorted(p.raised_fen for p in many.values()) == [35_000, 99_000]


def test_the_percent_is_capped_and_never_divides_by_zero(drive):
    from donate.progress import Progress

    assert Progress("CNY", 250, 100, 9, 8, 0, 0).raised_percent == 100
    assert Progress("CNY", 250, 0, 9, 0, 0, 0).raised_percent == 0


def test_gifts_in_another_currency_do_not_count(drive):
    from donate.progress import campaign_progress

    give(drive, 10_000, currency="HKD", email="hk@example.org")
    assert campaign_progress(db.session, drive).raised_fen == 0


def test_progress_api(client, gifts):
    resp = client.get("/api/v1/campaigns/winter-2024")
    assert resp.status_code == 200
    assert resp.get_json() == {
        "slug": "winter-2024", "kind": "pooled", "status": "live", "currency": "CNY",
        "raised_fen": 35_000, "goal_fen": 100_000, "donors": 3, "donor_goal": 8,
        "homes_helped": 0, "homes_goal": 10,
        "matched_fen": 0, "raised_with_matches_fen": 35_000, "pledges": [],
    }


def test_progress_api_refuses_unknown_and_draft_campaigns(client, drive):
    from campaigns import services

    services.create_campaign(db.session, services.CampaignInput(slug="still-draft", title_zh="草稿"))
    db.session.commit()
    for slug in ("still-draft", "no-such-drive"):
        resp = client.get(f"/api/v1/campaigns/{slug}?lang=en")
        assert resp.status_code == 404
        assert resp.get_json() == {"error": "not_found", "message": "No such campaign."}


def test_progress_api_shows_paused_and_closed_campaigns(client, drive):
    from campaigns import services

    services.pause_campaign(db.session, drive)
    db.session.commit()
    assert client.get("/api/v1/campaigns/winter-2024").get_json()["status"] == "paused"
