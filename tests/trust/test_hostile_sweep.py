"""Hostile input (issue #10), part 3: every state-changing route, walked from the URL map so
that new routes are covered as they land, with no list of forms to keep up to date.

Each route gets a body with no fields at all and a body of hostile values under the field
names forms use (wrong types, negative and over-precise amounts, script, SQL, invisible and
right-to-left marks, huge text, repeated fields), from a user holding staff, finance and
admin, on the demo office's real objects (id 1, its pooled drive, this month). Every answer:
no server error, the security headers, and not one row changed (:func:`snapshot`) — except
for the routes in ``ACTIONS``, which take no input, so that an empty post is a real request:
for those, only no server error and the headers. A new route that writes on such a body
fails here until it refuses bad input or is listed in ``ACTIONS`` with the reason.

The precise cases (a field's own message) are parts 1 and 2; the webhook's, part 1."""
import html
import logging
from datetime import date

import pytest

from core.extensions import db
from tests.test_security import assert_security_headers
from tests.trust.conftest import snapshot
from tests.trust.test_logs import leaks, log_lines

SCRIPT = "<script>alert(1)</script>"
SQL = "1'; DROP TABLE journal_entries; --"
#: Field names the app's forms use, each given something it must refuse or ignore.
HOSTILE = {
    "amount": "-1", "gift": "1.234", "custom_amount": "１２\u200b３", "price": "1e9",
    "pool": "NaN", "quantity": "-5", "goal": "9" * 40, "ratio": "1:0",
    "email": SCRIPT, "name": SQL, "display_name_zh": "\u202e" * 200, "title_zh": "",
    "slug": "../../etc/passwd", "reason": "", "memo": "x" * 20_000, "note": "\x00",
    # Personal data typed where it does not belong: refused, and never written to a log.
    "phone": "13912345678", "id_number": "310115194001010012",
    "purpose_note": "call 13912345678, ID 310115194001010012",
    "purpose": "", "month": "2026-13", "day": "2026-02-30", "action": "explode",
    "status": "nonsense", "designation": ["1", "2", "abc"], "roles": ["root", "god"],
    "lines": "no such good × 12", "csrf_token": "forged",
}
#: State-changing routes that take no input: an empty post is a request to do the thing.
#: endpoint → why it may write on a body with no (or only unknown) fields.
ACTIONS = {
    "core.logout": "ends the session; writes nothing but the session cookie",
    "donor.sign_out": "ends the donor's session",
    "bank.add_presets": "adds the standard bank-line mappings: the button is the whole form",
    "finance_close.close": "closes the month when every check passes (a reason is optional)",
}


def _value(name: str, converter) -> str | int:
    from werkzeug.routing import IntegerConverter

    if isinstance(converter, IntegerConverter):
        return 1
    if name == "month":
        return date.today().strftime("%Y-%m")
    if name == "slug":
        return "wanren-juan"
    return "no-such-thing"


def _url(rule) -> str:
    values = {name: _value(name, conv) for name, conv in rule._converters.items()}
    values.update(rule.defaults or {})
    return rule.build(values, append_unknown=False)[1] + "?lang=en"


def _writing_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if methods and not rule.rule.startswith("/stripe/webhook"):
            yield rule, sorted(methods)[0]


@pytest.mark.parametrize("body", ["empty", "hostile"])
def test_every_writing_route_refuses_bad_bodies_and_writes_nothing(world, writer, body, caplog):
    caplog.set_level(logging.DEBUG)
    data = {} if body == "empty" else HOSTILE
    wrote, failed, sent = [], [], 0
    for rule, method in _writing_rules(world):
        before = snapshot()
        resp = writer.open(_url(rule), method=method, data=data)
        after = snapshot()
        sent += 1
        if resp.status_code >= 500:
            failed.append(f"{method} {rule.rule}: {resp.status_code}")
            continue
        assert_security_headers(resp)
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        if changed and rule.endpoint not in ACTIONS:
            wrote.append(f"{method} {rule.rule} ({resp.status_code}) wrote {changed}")
        db.session.rollback()
    assert failed == [], "\n".join(failed)
    assert wrote == [], "\n".join(wrote)
    assert sent >= 80
    assert leaks(log_lines(caplog)) == []


def test_every_writing_route_answers_the_public_without_writing(world):
    """Anonymous, the same bodies: a login redirect, a 4xx, or a public form's error."""
    client, wrote = world.test_client(), []
    for rule, method in _writing_rules(world):
        for data in ({}, HOSTILE):
            before = snapshot()
            resp = client.open(_url(rule), method=method, data=data)
            assert resp.status_code < 500, (rule.rule, html.unescape(resp.get_data(as_text=True))[:300])
            assert_security_headers(resp)
            if snapshot() != before and rule.endpoint not in ACTIONS:
                wrote.append(f"{method} {rule.rule} ({resp.status_code})")
    assert wrote == [], "\n".join(wrote)
