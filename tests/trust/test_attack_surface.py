"""Attack surface (issue #10): the login lock-out tells nothing about which accounts exist,
security headers are on every route's answer, and amounts typed with a Chinese IME's
full-width characters mean what the donor meant (other scripts and invisible marks refused).
CSRF on every POST and the forged or replayed webhook are in ``tests/test_security.py`` and
``test_hostile_input.py``."""
import html

import pytest
import sqlalchemy as sa

from core.auth import LOCKOUT, MAX_FAILED_LOGINS, LoginThrottle, utcnow
from core.extensions import db
from tests.test_security import assert_security_headers

PASSWORD = "correct horse battery"


def attempts(client, email: str, password: str, count: int) -> list[tuple[int, str]]:
    out = []
    for _i in range(count):
        resp = client.post("/login?lang=en", data={"email": email, "password": password})
        page = html.unescape(resp.get_data(as_text=True))
        message = next((m for m in ("Too many failed logins. Try again in 15 minutes.",
                                    "Wrong email or password.") if m in page), "")
        out.append((resp.status_code, message))
    return out


@pytest.fixture
def unlimited(make_app):
    """An app without the per-address rate limit, so that only the lock-out answers."""
    return make_app(RATELIMIT_ENABLED=False)


def test_lockout_answers_the_same_for_an_unknown_email(unlimited):
    from core.auth import create_user

    create_user("real@example.org", PASSWORD, ["staff"])
    db.session.commit()
    client = unlimited.test_client()
    real = attempts(client, "real@example.org", "wrong password", MAX_FAILED_LOGINS + 2)
    ghost = attempts(client, "ghost@example.org", "wrong password", MAX_FAILED_LOGINS + 2)
    wrong, locked = (400, "Wrong email or password."), (400, "Too many failed logins. Try again in 15 minutes.")
    assert real == [wrong] * MAX_FAILED_LOGINS + [locked, locked]
    assert ghost == real


def test_unknown_email_throttle_keeps_no_email_and_expires(unlimited):
    from core.auth import AuthError, authenticate

    client = unlimited.test_client()
    attempts(client, "Ghost@Example.org ", "x", MAX_FAILED_LOGINS)
    rows = db.session.scalars(sa.select(LoginThrottle)).all()
    assert len(rows) == 1 and "ghost" not in rows[0].email_hash and len(rows[0].email_hash) == 64
    assert rows[0].locked_until > utcnow()
    later = utcnow() + LOCKOUT + LOCKOUT
    with pytest.raises(AuthError) as refused:
        authenticate("ghost@example.org", "x", now=later)
    assert str(refused.value.message) == "Wrong email or password."


def test_a_disabled_account_answers_like_an_unknown_one(unlimited):
    from core.auth import create_user

    user = create_user("gone@example.org", PASSWORD, ["staff"])
    user.active = False
    db.session.commit()
    client = unlimited.test_client()
    gone = attempts(client, "gone@example.org", PASSWORD, MAX_FAILED_LOGINS + 1)
    ghost = attempts(client, "nobody@example.org", PASSWORD, MAX_FAILED_LOGINS + 1)
    assert gone == ghost
    assert gone[-1] == (400, "Too many failed logins. Try again in 15 minutes.")


# -- security headers everywhere ------------------------------------------------------------

def _get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.endpoint.endswith("static"):
            yield rule


def test_every_get_route_answers_with_the_security_headers(world, writer, dummy_url):
    """Anonymous and logged in, real and made-up arguments: new routes are covered as
    they land, with no list to keep up to date."""
    anonymous, seen = world.test_client(), 0
    for rule in _get_rules(world):
        for client in (anonymous, writer):
            resp = client.get(dummy_url(rule))
            assert resp.status_code < 500, rule.rule
            assert_security_headers(resp)
            seen += 1
    assert seen >= 2 * 40


# -- amounts typed with other characters ----------------------------------------------------

@pytest.mark.parametrize("typed, fen", [
    ("１００", 10_000), ("１２．５０", 1_250), ("＋１００", 10_000),
    (" 100 ", 10_000), ("\u3000１００\u3000", 10_000), ("￥１，０００", 100_000), ("¥1,000.50", 100_050),
])
def test_full_width_amounts_mean_what_the_donor_typed(typed, fen):
    from donate.forms import parse_gift

    assert parse_gift(typed, "CNY") == fen


@pytest.mark.parametrize("typed", ["١٠٠", "१००", "1\u200b00", "\u200f100", "1\u200d00", "１．００１",
                                   "½", "1e2", "--1"])
def test_other_digits_and_invisible_marks_are_refused(typed):
    from wtforms.validators import ValidationError

    from donate.forms import parse_gift

    with pytest.raises(ValidationError):
        parse_gift(typed, "CNY")
