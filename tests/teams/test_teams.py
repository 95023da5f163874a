"""Teams (一起捐): started by staff or, where the campaign allows, by the public (rate limited);
bad names refused with a clear message and nothing written; gifts made through a team page
credit the team softly (no second ledger entry) and show on its wall with its progress."""
from datetime import datetime

import pytest
import sqlalchemy as sa

from campaigns.teams import services
from campaigns.teams.models import Team
from core.extensions import db
from donate.models import Donation
from donate.services import book_donation_succeeded, book_refund
from donate.teams import TeamProgress, seed_teams, team_progress
from ledger.models import JournalEntry
from tests.donate.giving_support import donate_form

SLUG = "drive-live"


def _team(drive, name="惠南小学三（2）班", slug="class-3-2", goal="1000"):
    team = services.create_team(db.session, drive, services.TeamInput(name=name, slug=slug, goal=goal),
                                "staff@example.org")
    db.session.commit()
    return team


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _gift(drive, amount_fen, team=None, name="李雷", anonymous=False, n=[0]):
    n[0] += 1
    gift = Donation(campaign=drive, designation=drive.designations[0], amount_fen=amount_fen, currency="CNY",
                    channel="bank_transfer", source_ref=f"team-test:{n[0]}", donor_name=name,
                    anonymous=anonymous, email=f"d{n[0]}@example.org", team_id=team.id if team else None)
    db.session.add(gift)
    db.session.flush()
    book_donation_succeeded(db.session, gift, when=datetime(2026, 11, 1, 4, n[0]))
    db.session.commit()
    return gift


def test_staff_start_a_team_and_see_it_listed(client, drive, login):
    login("staff")
    resp = client.post(f"/staff/teams/{SLUG}", data={"name": "陆家嘴某银行志愿者队", "slug": "bank", "goal": "5000"})
    assert resp.status_code == 302
    team = db.session.scalar(sa.select(Team))
    assert (team.slug, team.goal_fen, team.creator_kind, team.created_by) == ("bank", 500_000, "staff", "staff@example.org")
    assert 'data-team="bank" data-status="active"' in client.get(f"/staff/teams/{SLUG}").get_data(as_text=True)
    assert client.post(f"/staff/teams/{SLUG}/{team.id}/status", data={"status": "hidden"}).status_code == 302
    assert client.get(f"/c/{SLUG}/t/bank").status_code == 404
    client.post(f"/staff/teams/{SLUG}/{team.id}/status", data={"status": "gone"})
    db.session.refresh(team)
    assert team.status == "hidden"


@pytest.mark.parametrize("name, slug, message", [
    ("<b>三班</b>", "", "A team name is plain text: leave out HTML such as &lt;b&gt; or &amp;amp;."),
    ("三班 &amp; 四班", "", "A team name is plain text"),
    ("<script>alert(1)</script>", "", "A team name is plain text"),
    ("班" * 41, "", "A team name has at most 40 characters."),
    ("   ", "", "This field is required."),
    ("三班", "Class 3", "Use lower-case letters, digits and hyphens (at most 40)."),
    ("三班", "taken", "This address is taken; choose another."),
])
def test_a_bad_team_is_refused_and_nothing_written(client, drive, login, name, slug, message):
    _team(drive, slug="taken")
    login("staff")
    resp = client.post(f"/staff/teams/{SLUG}?lang=en", data={"name": name, "slug": slug})
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert _count(Team) == 1


def test_plain_text_with_an_ampersand_or_brackets_is_a_fine_name(drive):
    team = _team(drive, name="Tom & Jerry (3 > 2)", slug="")
    assert team.name == "Tom & Jerry (3 > 2)" and team.slug.startswith("t-")


def test_the_public_may_start_a_team_only_where_the_campaign_allows(client, drive, app):
    resp = client.post(f"/c/{SLUG}/teams?lang=en", data={"name": "周浦镇某居委会"})
    assert resp.status_code == 403 and "This campaign does not take new teams from the public." in resp.get_data(as_text=True)
    assert _count(Team) == 0
    services.set_teams_open(db.session, drive, True)
    db.session.commit()
    resp = client.post(f"/c/{SLUG}/teams", data={"name": "周浦镇某居委会", "slug": "zhoupu", "goal": "2000"})
    assert resp.status_code == 302 and resp.location.endswith(f"/c/{SLUG}/t/zhoupu")
    team = db.session.scalar(sa.select(Team))
    assert (team.creator_kind, team.created_by, team.goal_fen) == ("public", "public:127.0.0.1", 200_000)
    bad = client.post(f"/c/{SLUG}/teams?lang=en", data={"name": "<i>x</i>"})
    assert bad.status_code == 400 and "A team name is plain text" in bad.get_data(as_text=True)
    assert _count(Team) == 1


def test_starting_teams_is_rate_limited(client, drive, app):
    app.config["TEAMS_RATE_LIMIT"] = "2 per hour"
    services.set_teams_open(db.session, drive, True)
    db.session.commit()
    codes = [client.post(f"/c/{SLUG}/teams", data={"name": f"队{n}"}).status_code for n in range(3)]
    assert codes == [302, 302, 429] and _count(Team) == 2


def test_a_team_page_shows_goal_progress_and_its_wall(client, drive):
    team, other = _team(drive), _team(drive, name="别的队", slug="other")
    first = _gift(drive, 10_000, team, name="韩梅梅")
    refunded = _gift(drive, 30_000, team)
    _gift(drive, 5_000, team, anonymous=True)
    _gift(drive, 7_000, other)
    _gift(drive, 9_000)
    book_refund(db.session, refunded, "re_team_1", 10_000, "staff@example.org")
    db.session.commit()
    assert team_progress(db.session, team) == TeamProgress(raised_fen=35_000, gifts=3, donors=3)
    html = client.get(f"/c/{SLUG}/t/class-3-2?lang=en").get_data(as_text=True)
    assert 'data-raised-fen="35000"' in html and 'data-goal-fen="100000"' in html and 'data-donors="3"' in html
    assert html.count("<li data-gift=") == 3 and f'data-gift="{first.id}"' in html
    assert "韩梅梅" in html and "A kind donor" in html
    assert f'/c/{SLUG}/donate?team=class-3-2' in html
    services.set_team_status(db.session, team, "hidden")
    db.session.commit()
    assert client.get(f"/c/{SLUG}/t/class-3-2").status_code == 404
    assert client.get(f"/c/{SLUG}/t/nobody").status_code == 404


def test_a_gift_through_a_team_credits_it_without_a_second_entry(client, drive, gateway):
    team = _team(drive)
    page = client.get(f"/c/{SLUG}/donate?team=class-3-2&lang=en").get_data(as_text=True)
    assert 'name="team" value="class-3-2"' in page and "Your gift counts for the team “惠南小学三（2）班”." in page
    assert client.post(f"/c/{SLUG}/donate", data=donate_form(drive, team="class-3-2")).status_code == 200
    assert client.post(f"/c/{SLUG}/donate", data=donate_form(drive, team="no-such-team", email="b@example.org")).status_code == 200
    credited, plain = db.session.scalars(sa.select(Donation).order_by(Donation.id)).all()
    assert (credited.team_id, plain.team_id) == (team.id, None)
    book_donation_succeeded(db.session, credited)
    db.session.commit()
    assert _count(JournalEntry) == 1
    assert team_progress(db.session, team).raised_fen == 10_000


def test_the_demo_teams_are_seeded_once_with_credited_gifts(runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert seed_teams(db.session) == 3
    db.session.commit()
    assert seed_teams(db.session) == 3
    db.session.commit()
    teams = db.session.scalars(sa.select(Team).order_by(Team.id)).all()
    assert [t.slug for t in teams] == ["lujiazui-bank", "huinan-class-3-2", "zhoupu-committee"]
    assert [team_progress(db.session, t).gifts for t in teams] == [4, 3, 2]
