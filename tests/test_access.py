"""Route × role: every route in ``app.url_map`` is classified, and the guard does what the
classification says, for anonymous visitors and for each role."""
import pytest
from flask import Blueprint

from core.access import (ADMIN, AUDITOR, FINANCE, PUBLIC, ROLES, STAFF, endpoint_roles,
                         guard_blueprint, requires)

PASSWORD = "correct horse battery"
def _method(rule) -> str:
    if "GET" in rule.methods:
        return "GET"
    return sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


def _rules(app):
    return [r for r in app.url_map.iter_rules() if not r.endpoint.endswith("static")]


def _is_login_redirect(resp) -> bool:
    return resp.status_code in (301, 302, 303) and "/login" in resp.headers.get("Location", "")


def _request(client, rule, **kw):
    return client.open(client.wanjia_url(rule), method=_method(rule), **kw)


def _client(app, dummy_url):
    client = app.test_client()
    client.wanjia_url = dummy_url
    return client


@pytest.fixture
def role_clients(app, make_user, dummy_url):
    """One logged-in test client per role (one account each), plus the anonymous one."""
    clients = {None: _client(app, dummy_url)}
    for role in ROLES:
        user = make_user(role)
        client = _client(app, dummy_url)
        resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert resp.status_code == 302, role
        with client.session_transaction() as sess:
            client.wanjia_session = dict(sess)
        clients[role] = client
    return clients


def _refresh_login(client):
    """A route (logout, for one) may end the session: log back in without a password hash."""
    if hasattr(client, "wanjia_session"):
        with client.session_transaction() as sess:
            sess.update(client.wanjia_session)


def test_every_route_is_classified(app):
    unclassified = [r.rule for r in app.url_map.iter_rules() if endpoint_roles(app, r.endpoint) is None]
    assert unclassified == []


def test_known_blueprints_have_the_expected_roles(app):
    def roles(name):
        return app.blueprints[name].wanjia_roles

    assert roles("core") == {PUBLIC}
    assert roles("donate") == {PUBLIC}
    assert roles("giving") == {PUBLIC}
    assert STAFF in roles("campaigns") and PUBLIC not in roles("campaigns")
    assert FINANCE not in roles("campaigns")
    assert FINANCE in roles("ledger") and PUBLIC not in roles("ledger")
    assert STAFF not in roles("ledger")
    assert endpoint_roles(app, "static") == {PUBLIC}


def test_fixed_routes_have_the_expected_roles(app):
    urls = {r.rule: endpoint_roles(app, r.endpoint) for r in app.url_map.iter_rules()}
    assert urls["/"] == {PUBLIC}
    assert urls["/login"] == {PUBLIC}
    assert urls["/logout"] == set(ROLES)
    assert all(roles == {ADMIN} for rule, roles in urls.items() if rule.startswith("/admin"))
    webhook = [roles for rule, roles in urls.items() if rule.startswith("/stripe/webhook")]
    assert all(r == {PUBLIC} for r in webhook)
    assert all(PUBLIC not in roles for rule, roles in urls.items() if rule.startswith("/finance"))
    assert all(PUBLIC not in roles for rule, roles in urls.items() if rule.startswith("/staff"))


def test_anonymous_is_sent_to_login_only_where_a_role_is_needed(app, role_clients):
    failures = []
    for rule in _rules(app):
        roles = endpoint_roles(app, rule.endpoint)
        resp = _request(role_clients[None], rule)
        if PUBLIC in roles and (_is_login_redirect(resp) or resp.status_code in (401, 403)):
            failures.append(f"public {rule.rule}: {resp.status_code} {resp.headers.get('Location')}")
        if PUBLIC not in roles and not _is_login_redirect(resp):
            failures.append(f"{rule.rule} needs {sorted(roles)} but anonymous got {resp.status_code} {resp.headers.get('Location')}")
    assert failures == []


def test_each_role_gets_exactly_its_routes(app, role_clients):
    failures = []
    for rule in _rules(app):
        roles = endpoint_roles(app, rule.endpoint)
        for role in ROLES:
            client = role_clients[role]
            _refresh_login(client)
            resp = _request(client, rule)
            allowed = PUBLIC in roles or role in roles
            if allowed and (resp.status_code == 403 or _is_login_redirect(resp)):
                failures.append(f"{role} refused {rule.rule}: {resp.status_code}")
            if not allowed and resp.status_code != 403:
                failures.append(f"{role} let into {rule.rule}: {resp.status_code}")
    assert failures == []


def test_no_route_answers_a_server_error_to_any_role(app, role_clients):
    failures = []
    for rule in _rules(app):
        for role, client in role_clients.items():
            _refresh_login(client)
            try:
                status = _request(client, rule).status_code
            except Exception as err:  # noqa: BLE001 - TESTING propagates the view's error
                status = f"{type(err).__name__}: {err}"
            if not isinstance(status, int) or status >= 500:
                failures.append(f"{role or 'anonymous'} {_method(rule)} {rule.rule}: {status}")
    assert failures == []


def test_anonymous_json_caller_gets_401_not_a_redirect(app, dummy_url):
    protected = [r for r in _rules(app) if PUBLIC not in endpoint_roles(app, r.endpoint)]
    assert protected, "the app has no protected route to check"
    client = _client(app, dummy_url)
    for rule in protected:
        resp = _request(client, rule, headers={"Accept": "application/json"})
        assert resp.status_code == 401, rule.rule
        assert resp.get_json()["error"] == 401


def test_login_redirect_keeps_the_page_asked_for(app, make_user):
    bp = Blueprint("probe", __name__, url_prefix="/probe")
    guard_blueprint(bp, FINANCE)
    bp.add_url_rule("/page", "page", lambda: "finance only")
    app.register_blueprint(bp)
    make_user(FINANCE)
    client = app.test_client()
    resp = client.get("/probe/page?x=1")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login?next=/probe/page?x%3D1"
    resp = client.post(resp.headers["Location"], data={"email": "finance@example.org", "password": PASSWORD})
    assert resp.headers["Location"] == "/probe/page?x=1"
    assert client.get("/probe/page?x=1").get_data(as_text=True) == "finance only"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(app, make_user, target):
    make_user(STAFF)
    resp = app.test_client().post(
        "/login", query_string={"next": target}, data={"email": "staff@example.org", "password": PASSWORD}
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_requires_narrows_a_blueprint_and_an_unclassified_route_is_refused(app, make_user):
    bp = Blueprint("probe", __name__, url_prefix="/probe")
    guard_blueprint(bp, FINANCE, AUDITOR)
    bp.add_url_rule("/read", "read", lambda: "read")
    bp.add_url_rule("/write", "write", requires(FINANCE)(lambda: "write"), methods=["GET", "POST"])
    app.register_blueprint(bp)
    app.add_url_rule("/unguarded", "unguarded", lambda: "nobody classified me")
    make_user(AUDITOR)
    client = app.test_client()
    client.post("/login", data={"email": "auditor@example.org", "password": PASSWORD})
    assert client.get("/probe/read").status_code == 200
    assert client.get("/probe/write").status_code == 403
    assert endpoint_roles(app, "unguarded") is None
    assert client.get("/unguarded").status_code == 403
    assert app.test_client().get("/unguarded").status_code == 403


def test_admin_has_no_implicit_finance_or_staff_rights(app, make_user):
    admin = make_user(ADMIN)
    assert not admin.has_any_role([FINANCE, STAFF, AUDITOR])
    assert admin.has_any_role([ADMIN])


def test_a_guard_with_an_unknown_role_is_a_programming_error():
    with pytest.raises(ValueError):
        guard_blueprint(Blueprint("x", __name__), "superuser")
    with pytest.raises(ValueError):
        requires()
