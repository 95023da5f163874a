"""Demo gifts for ``flask --app wsgi demo seed``: a few dozen succeeded gifts on the demo
office's live drives, booked through the real booking service so that progress, ledger,
receipts and reports have something to show. Idempotent: each gift has a ``demo:NNN`` ref."""
import sqlalchemy as sa

from campaigns.models import Campaign
from donate import services
from donate.models import Donation

DONORS = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴军",
          "徐丽", "孙浩", "Alice Chen", "David Li", "", "马超"]
AMOUNTS_FEN = [5000, 10000, 20000, 50000, 10000, 2000, 100000, 15000, 8800, 30000]
MESSAGES = ["新年快乐！", "一点心意", "", "Happy New Year to every family", "", "加油！"]


def seed_gifts(session, count: int = 36) -> int:
    """Book up to ``count`` demo gifts; returns how many were new."""
    campaigns = list(session.scalars(
        sa.select(Campaign).where(Campaign.status == "live", Campaign.kind == "pooled").order_by(Campaign.id)))
    campaigns = [c for c in campaigns if c.designations]
    if not campaigns:
        return 0
    made = 0
    for n in range(1, count + 1):
        ref = f"demo:{n:03d}"
        if session.scalar(sa.select(Donation.id).filter_by(source_ref=ref)):
            continue
        campaign = campaigns[n % len(campaigns)]
        designation = campaign.designations[n % len(campaign.designations)]
        donation = Donation(
            campaign=campaign, designation=designation, source_ref=ref, channel="bank_transfer",
            amount_fen=AMOUNTS_FEN[n % len(AMOUNTS_FEN)], currency=campaign.currency,
            donor_name=DONORS[n % len(DONORS)], anonymous=not DONORS[n % len(DONORS)],
            message=MESSAGES[n % len(MESSAGES)])
        session.add(donation)
        session.flush()
        services.book_donation_succeeded(session, donation)
        made += 1
    return made
