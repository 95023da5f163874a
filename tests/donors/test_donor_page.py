"""The donor's page without a password: a single-use, short-lived emailed link that never says
whether an email is known; every gift and plan of the proven emails; nothing of anyone else's."""
from datetime import timedelta

import sqlalchemy as sa

from core.extensions import db
from donate.donor_models import DonorEmailLink, DonorPreference, DonorSignInLink
from donate.models import OutboxMessage
from donate.recurring_models import RecurringPlan
from tests.donate.giving_support import count
from tests.donors.conftest import book_offline_gift, last_link, sign_in


def test_the_answer_is_the_same_for_a_known_and_an_unknown_email(client, drive):
    book_offline_gift(drive, "known@example.org", 5000, "bank:1")
    before = count(OutboxMessage)
    known = client.post("/donor/sign-in?lang=en", data={"email": "known@example.org"})
    unknown = client.post("/donor/sign-in?lang=en", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert (known.get_data(as_text=True).replace("known@", "X@")
            == unknown.get_data(as_text=True).replace("nobody@", "X@"))
    assert count(OutboxMessage) == before + 1 and count(DonorSignInLink) == 1
    assert "nobody@example.org" not in db.session.scalars(sa.select(OutboxMessage.to_addr)).all()


def test_a_link_signs_in_once_and_shows_every_gift_of_the_email(client, drive):
    book_offline_gift(drive, " Donor@Example.ORG ", 5000, "bank:1")
    book_offline_gift(drive, "donor@example.org", 12_345, "bank:2")
    book_offline_gift(drive, "someone-else@example.org", 99_900, "bank:3")
    page = sign_in(client, "DONOR@example.org").get_data(as_text=True)
    assert page.count('class="gift"') == 2
    assert "¥123.45" in page and "¥50.00" in page and "¥999.00" not in page
    assert 'id="gifts-total-CNY">CN¥173.45<' in page
    client.post("/donor/sign-out")
    reused = client.post(last_link("donor@example.org") + "?lang=en")
    assert reused.status_code == 400 and "already used" in reused.get_data(as_text=True)
    assert client.get("/donor/").status_code == 302


def test_an_expired_or_tampered_link_is_refused(client, drive):
    book_offline_gift(drive, "donor@example.org", 5000, "bank:1")
    client.post("/donor/sign-in", data={"email": "donor@example.org"})
    path = last_link("donor@example.org")
    tampered = client.post(path[:-2] + ("A" if path[-2] != "A" else "B") + path[-1] + "?lang=en")
    assert tampered.status_code == 400 and "not valid" in tampered.get_data(as_text=True)
    link = db.session.scalar(sa.select(DonorSignInLink))
    link.expires_at = link.created_at - timedelta(seconds=1)
    db.session.commit()
    assert client.post(path + "?lang=en").status_code == 400
    assert client.get("/donor/").status_code == 302
    assert db.session.scalar(sa.select(DonorSignInLink.used_at)) is None


def test_opening_the_link_does_not_spend_it_only_the_button_does(client, drive):
    book_offline_gift(drive, "donor@example.org", 5000, "bank:1")
    client.post("/donor/sign-in", data={"email": "donor@example.org"})
    path = last_link("donor@example.org")
    assert client.get(path).status_code == 200  # a mail scanner's visit
    assert client.post(path).status_code == 302


def test_sign_in_requests_are_rate_limited(client, app, drive):
    app.config["DONOR_RATE_LIMIT_EMAIL"] = "2 per minute"
    answers = [client.post("/donor/sign-in", data={"email": "limit@example.org"}).status_code
               for _ in range(3)]
    assert answers == [200, 200, 429]


def test_a_merge_needs_the_second_email_proven(client, drive):
    book_offline_gift(drive, "home@example.org", 5000, "bank:1")
    book_offline_gift(drive, "work@example.org", 7000, "bank:2")
    sign_in(client, "home@example.org")
    resp = client.post("/donor/merge?lang=en", data={"email": "work@example.org"})
    assert resp.status_code == 302
    page = client.get("/donor/?lang=en").get_data(as_text=True)
    assert page.count('class="gift"') == 1 and count(DonorEmailLink) == 0
    assert client.post(last_link("work@example.org")).status_code == 302
    page = client.get("/donor/?lang=en").get_data(as_text=True)
    assert page.count('class="gift"') == 2 and "work@example.org" in page
    link = db.session.scalar(sa.select(DonorEmailLink))
    assert (link.email_a, link.email_b) == ("home@example.org", "work@example.org")
    client.post("/donor/sign-out")
    assert sign_in(client, "work@example.org").get_data(as_text=True).count('class="gift"') == 2


def test_a_merge_with_a_bad_or_own_email_is_refused(client, drive):
    book_offline_gift(drive, "home@example.org", 5000, "bank:1")
    sign_in(client, "home@example.org")
    for bad in ("not-an-email", "HOME@example.org"):
        resp = client.post("/donor/merge?lang=en", data={"email": bad})
        assert resp.status_code == 400
    assert "already shown" in resp.get_data(as_text=True)
    assert count(DonorSignInLink) == 1


def test_preferences_are_saved_for_every_proven_email(client, drive):
    book_offline_gift(drive, "donor@example.org", 5000, "bank:1")
    sign_in(client, "donor@example.org")
    assert client.post("/donor/preferences", data={"updates": "y"}).status_code == 302
    pref = db.session.scalar(sa.select(DonorPreference))
    assert (pref.email, pref.updates, pref.wish_notes) == ("donor@example.org", True, False)


def test_someone_elses_plan_cannot_be_touched_by_guessing_its_id(client, drive):
    other = RecurringPlan(campaign=drive, designation=drive.designations[0], amount_fen=5000,
                          email="other@example.org", status="active", stripe_subscription="sub_x")
    db.session.add(other)
    book_offline_gift(drive, "me@example.org", 5000, "bank:1")
    sign_in(client, "me@example.org")
    for path in (f"/donor/plans/{other.id}/cancel", f"/donor/plans/{other.id}/amount",
                 f"/donor/plans/{other.id}/designation", f"/donor/plans/{other.id}/card"):
        assert client.post(path, data={"amount": "20"}).status_code == 404, path
    assert client.get(f"/donor/plans/{other.id}/card").status_code == 404
    db.session.expire_all()
    assert (db.session.get(RecurringPlan, other.id).status, db.session.get(RecurringPlan, other.id).amount_fen) == ("active", 5000)
