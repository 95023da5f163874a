"""Helpers for the matching tests (plain functions, usable from threads): a live drive with its
funds, a sponsor and its pledges taken through the services, and gifts booked through the
real ``donate.services.book_donation_succeeded`` at a chosen moment."""
import itertools
from datetime import datetime, timedelta

import sqlalchemy as sa

from campaigns import services as campaign_services
from campaigns.matching import services
from campaigns.matching.engine import donor_fingerprint_for
from campaigns.matching.models import Match, MatchingPledge, PledgeEvent, Sponsor
from donate.models import Donation
from donate.services import book_donation_succeeded
from ledger.chart import seed_chart
from ledger.posting import ensure_fund

STAFF = "staff@example.org"
#: 10:00 on 1 December 2026 in Shanghai (02:00 UTC): a gift "now" in the tests.
T0 = datetime(2026, 12, 1, 2, 0, 0)
FUND = "C-WANREN-TEST"
_refs = itertools.count(1)


def make_drive(session, slug="wanren-test", status="live"):
    """A pooled drive with "where most needed" (its own fund) and the sub-fund SF-LJZ."""
    seed_chart(session)
    ensure_fund(session, "SF-LJZ", name_zh="陆家嘴街道社区慈善专项基金", name_en="Lujiazui",
                restriction="restricted", kind="subfund")
    campaign = campaign_services.create_campaign(session, campaign_services.CampaignInput(
        slug=slug, title_zh="万人捐、帮万家", title_en="10,000 donors help 10,000 homes",
        min_gift_fen=100, max_gift_fen=5_000_000, designation_funds=("SF-LJZ",)))
    if status in ("live", "closed"):
        campaign_services.publish_campaign(session, campaign)
    if status == "closed":
        campaign_services.close_campaign(session, campaign)
    session.commit()
    return campaign


def make_sponsor(session, name="星河科技有限公司") -> Sponsor:
    found = session.scalar(sa.select(Sponsor).filter_by(name=name))
    return found or services.create_sponsor(session, name=name, display_name_zh="星河科技",
                                            display_name_en="Xinghe Tech")


def pledge_input(campaigns, **terms) -> services.PledgeInput:
    values = dict(campaigns=list(campaigns), pool_fen=100_000, starts_at=T0 - timedelta(days=1),
                  ends_at=T0 + timedelta(days=30))
    values.update(terms)
    return services.PledgeInput(**values)


def make_pledge(session, drive, status="live", sponsor=None, **terms) -> MatchingPledge:
    """A pledge on ``drive`` (¥1,000 pool, 1:1, from a day before T0 for 31 days by default),
    taken live through the services; committed."""
    pledge = services.create_pledge(session, sponsor or make_sponsor(session),
                                    pledge_input([drive], **terms), STAFF)
    if status != "draft":
        services.change_pledge_status(session, pledge, "go_live", STAFF, now=pledge.starts_at)
    session.commit()
    return pledge


def pending_gift(session, drive, amount_fen, email=None, fund=None, fee_cover_fen=0, phone=""):
    """A pending gift (no Stripe), with the donor fingerprint ``create_donation`` would give."""
    n = next(_refs)
    email = email if email is not None else f"donor{n}@example.org"
    donation = Donation(campaign=drive, designation=drive.designation_for(fund or drive.fund_code),
                        amount_fen=amount_fen + fee_cover_fen, fee_cover_fen=fee_cover_fen,
                        currency="CNY", channel="bank_transfer", source_ref=f"matchtest:{n}",
                        email=email, donor_name="李四",
                        donor_fingerprint=donor_fingerprint_for(email, phone))
    session.add(donation)
    session.flush()
    return donation


def give(session, drive, amount_fen, at=T0, fee_fen=0, **kw):
    """Make and book a gift at ``at`` the way a paid PaymentIntent is booked; committed."""
    donation = pending_gift(session, drive, amount_fen, **kw)
    book_donation_succeeded(session, donation, when=at, fee_fen=fee_fen)
    session.commit()
    return donation


def matches_of(session, donation) -> list[Match]:
    return list(session.scalars(sa.select(Match).filter_by(donation_id=donation.id).order_by(Match.id)))


def matched(session, donation) -> list[int]:
    return [m.amount_fen for m in matches_of(session, donation)]


def events(session, pledge, action=None) -> list[PledgeEvent]:
    query = sa.select(PledgeEvent).filter_by(pledge_id=pledge.id).order_by(PledgeEvent.id)
    if action:
        query = query.filter_by(action=action)
    return list(session.scalars(query))
