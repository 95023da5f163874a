"""Object-level access (issue #10): the auditor writes nothing anywhere, a street liaison sees
only their own street's households and requests, and a receipt page needs its code. The
route × role matrix itself is ``tests/test_access.py``."""
import re

import pytest
import sqlalchemy as sa

from core.access import PUBLIC, endpoint_roles
from core.extensions import db
from tests.trust.conftest import PASSWORD

TOKEN_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
#: POST routes an auditor may use: ending their own session.
AUDITOR_MAY_POST = {"core.logout"}


def _logged_in(app, email: str, roles):
    from core.auth import create_user

    create_user(email, PASSWORD, roles)
    db.session.commit()
    client = app.test_client()
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    return client, TOKEN_RE.search(client.get("/").get_data(as_text=True)).group(1)


def test_the_auditor_is_refused_every_post_with_a_valid_token(make_app, dummy_url):
    """Every POST route that is not public, walked from the URL map (new routes included
    as they land), posted with a valid CSRF token by an auditor: each one is a 403."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client, token = _logged_in(app, "auditor@example.org", ["auditor"])
    posted, wrong = 0, []
    for rule in app.url_map.iter_rules():
        roles = endpoint_roles(app, rule.endpoint)
        if "POST" not in rule.methods or PUBLIC in roles or rule.endpoint in AUDITOR_MAY_POST:
            continue
        resp = client.post(dummy_url(rule), data={"csrf_token": token},
                           headers={"X-CSRFToken": token})
        posted += 1
        if resp.status_code != 403:
            wrong.append(f"{rule.rule}: {resp.status_code}")
    assert wrong == []
    assert posted >= 40


def test_no_route_gives_the_auditor_a_write_method(app):
    from core.access import AUDITOR

    writable = [r.rule for r in app.url_map.iter_rules()
                if AUDITOR in (endpoint_roles(app, r.endpoint) or ())
                and r.methods & {"POST", "PUT", "PATCH", "DELETE"}
                and r.endpoint not in AUDITOR_MAY_POST]
    assert writable == []


# -- street liaisons ------------------------------------------------------------------------

@pytest.fixture
def streets(world):
    """Huinan's liaison (staff, liaison of HN only) logged in, and what the office holds."""
    from campaigns.homes.models import Household, StreetLiaison
    from campaigns.homes.subfunds import add_liaison
    from core.auth import User, create_user

    user = db.session.scalar(sa.select(User).filter_by(email="hn-liaison@example.org"))
    if user is None:
        user = create_user("hn-liaison@example.org", PASSWORD, ["staff"])
        add_liaison(db.session, user, "HN")
        db.session.commit()
    client = world.test_client()
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302
    by_street = dict(db.session.execute(
        sa.select(Household.street_code, sa.func.count()).group_by(Household.street_code)).all())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StreetLiaison)) >= 1
    return client, by_street


def test_a_liaison_lists_only_their_own_streets_households(streets):
    client, by_street = streets
    assert by_street["HN"] > 0 and by_street["LJZ"] > 0
    own = client.get("/staff/homes/households?street=HN&lang=en")
    assert own.status_code == 200
    other = client.get("/staff/homes/households?street=LJZ&lang=en")
    everything = client.get("/staff/homes/households?lang=en")
    rows = lambda resp: resp.get_data(as_text=True).count("<tr><td>")  # noqa: E731
    assert rows(own) == by_street["HN"]
    assert other.status_code in (403, 404) or rows(other) == 0
    assert rows(everything) <= by_street["HN"]


def test_a_liaison_cannot_request_money_from_another_streets_fund(streets):
    from tests.trust.conftest import snapshot

    client, _counts = streets
    before = snapshot()
    resp = client.post("/staff/homes/subfunds/SF-LJZ/disbursements?lang=en",
                       data={"amount": "10", "purpose": "not my street"})
    assert resp.status_code in (403, 404)
    assert snapshot() == before


# -- receipts -------------------------------------------------------------------------------

def test_a_receipt_page_needs_its_code(world):
    from donate import receipts
    from donate.models import Donation

    number = db.session.scalar(sa.select(Donation.receipt_number).where(
        Donation.receipt_number.is_not(None)).order_by(Donation.id).limit(1))
    code = receipts.receipt_code(world.config["SECRET_KEY"], number)
    client = world.test_client()
    assert client.get(f"/receipts/{number}").status_code == 404
    assert client.get(f"/receipts/{number}?code=AAAAAA").status_code == 404
    assert client.get(f"/receipts/{number}?code={code}").status_code == 200
    other = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert client.get(f"/receipts/{other}?code={code}").status_code == 404
