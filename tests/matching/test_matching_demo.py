"""The demo pledge on "万人捐、帮万家" (created once, live, used in part by gifts booked after
it) and the ``flask matching`` commands."""
from datetime import timedelta

import sqlalchemy as sa

from campaigns.matching.demo import seed_matching
from campaigns.matching.models import MatchingPledge
from core.auth import utcnow
from core.extensions import db
from tests.matching import support
from tests.matching.support import matches_of


def test_the_demo_pledge_is_live_once_and_matches_later_gifts(app):
    drive = support.make_drive(db.session, slug="wanren-juan")
    pledge = seed_matching(db.session)
    db.session.commit()
    assert seed_matching(db.session).id == pledge.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchingPledge)) == 1
    assert (pledge.status, pledge.pool_fen, pledge.sponsor.display_name("zh")) == ("live", 5_000_000, "星河科技")
    gift = support.give(db.session, drive, 100_000, at=utcnow() - timedelta(minutes=1))
    assert [m.amount_fen for m in matches_of(db.session, gift)] == [50_000]  # the cap per gift
    db.session.refresh(pledge)
    assert pledge.spent_fen == 50_000


def test_no_demo_pledge_without_the_drive(app):
    assert seed_matching(db.session) is None


def test_the_cli_lists_held_matches_and_ends_expired_pledges(app, drive, runner):
    app.config.update(MATCHING_BURST_GIFTS=2)
    now = utcnow().replace(microsecond=0)
    pledge = support.make_pledge(db.session, drive, starts_at=now - timedelta(days=5),
                                 ends_at=now - timedelta(days=1))
    for n in range(2):
        support.give(db.session, drive, 2_000, email="same@example.org",
                     at=now - timedelta(days=2, minutes=-n))
    held = runner.invoke(args=["matching", "held"])
    assert held.exit_code == 0, held.output
    assert "2 gifts from one donor within 10 min" in held.output
    assert "20.00 CNY" in held.output and "1 held match(es)" in held.output
    ended = runner.invoke(args=["matching", "end-expired"])
    assert ended.exit_code == 0 and "ended 1 pledge(s)" in ended.output
    db.session.expire_all()
    assert db.session.get(MatchingPledge, pledge.id).status == "ended"
