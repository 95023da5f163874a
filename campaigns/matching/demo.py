"""The demo's matching: a sponsor and a live pledge on the "万人捐、帮万家" drive.

:func:`seed_matching` is idempotent. ``flask demo seed`` (``donate.cli``) runs it before the
demo gifts are booked, so that booking them goes through the real engine and uses part of
the pool, exactly as gifts paid online do.
"""
from datetime import timedelta

import sqlalchemy as sa

from campaigns.matching.models import MatchingPledge, Sponsor
from campaigns.matching.services import PledgeInput, change_pledge_status, create_pledge, create_sponsor
from campaigns.models import Campaign
from core.auth import utcnow

SPONSOR = dict(name="上海星河科技有限公司", display_name_zh="星河科技", display_name_en="Xinghe Tech",
               contact_name="周经理", contact_email="csr@xinghe.example", contact_phone="021-5000 0000")
DRIVE = "wanren-juan"
BY = "demo"


def _pledge_terms(campaign: Campaign) -> PledgeInput:
    """¥50,000 pool, 1:1 from ¥10, up to ¥500 a gift and ¥1,000 a donor a day, for 60 days."""
    now = utcnow().replace(microsecond=0)
    return PledgeInput(campaigns=[campaign], pool_fen=5_000_000, starts_at=now - timedelta(days=7),
                       ends_at=now + timedelta(days=60), min_gift_fen=1_000,
                       cap_per_gift_fen=50_000, cap_per_donor_day_fen=100_000, priority=10)


def seed_matching(session) -> MatchingPledge | None:
    """The demo sponsor's live pledge on the year-end drive (created once; returned after).

    Returns None when the drive is not there or not live. Flushes, never commits."""
    campaign = session.scalar(sa.select(Campaign).filter_by(slug=DRIVE))
    if campaign is None or campaign.status != "live":
        return None
    sponsor = session.scalar(sa.select(Sponsor).filter_by(name=SPONSOR["name"])) \
        or create_sponsor(session, **SPONSOR)
    pledge = sponsor.pledges[0] if sponsor.pledges else None
    if pledge is None:
        pledge = create_pledge(session, sponsor, _pledge_terms(campaign), BY)
        change_pledge_status(session, pledge, "go_live", BY)
    return pledge
