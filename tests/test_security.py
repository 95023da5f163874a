"""Security headers, cookies and CSRF on every form and on our own JSON posts."""
import re
from pathlib import Path

import pytest
from flask import jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _

from core.access import PUBLIC, ROLES, endpoint_roles, requires
from core.auth import create_user
from core.extensions import csrf, db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
CSRF_MESSAGE = ("The form has expired or was not sent from this site. "
                "Please reload the page and try again.")
TOKEN_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def token_from(client, url="/login"):
    return TOKEN_RE.search(client.get(url).get_data(as_text=True)).group(1)


def login_with_token(client, email):
    token = token_from(client)
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    return token_from(client, "/")


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)

    @requires(PUBLIC)
    def echo():
        return jsonify(got=request.get_json(silent=True))

    app.add_url_rule("/_test/echo", "echo", echo, methods=["POST"])
    return app


# -- headers ------------------------------------------------------------------------------

def assert_security_headers(resp):
    csp = resp.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert re.search(r"'nonce-[A-Za-z0-9_-]{16,}'", directives["script-src"])
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "'unsafe-inline'" not in directives["style-src"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert resp.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("url, status", [
    ("/", 200), ("/login", 200), ("/static/css/site.css", 200), ("/static/js/csrf.js", 200),
    ("/no-such-page", 404), ("/staff/", None), ("/logout", 405),
])
def test_security_headers_on_pages_errors_and_static_files(client, url, status):
    resp = client.get(url)
    if status is not None:
        assert resp.status_code == status
    assert_security_headers(resp)


def test_nonce_is_fresh_per_response_and_matches_inline_scripts(client):
    first = client.get("/").headers["Content-Security-Policy"]
    second = client.get("/").headers["Content-Security-Policy"]
    assert first != second
    html = client.get("/").get_data(as_text=True)
    assert "<script>" not in html  # an inline script without the nonce would be blocked


def test_templates_have_no_inline_handlers_or_styles():
    bad = re.compile(r"""\son(click|load|submit|change|input)\s*=|\sstyle\s*=|<script(?![^>]*(src=|nonce=))""")
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html") if bad.search(p.read_text())]
    assert offenders == []


def test_no_asset_comes_from_a_cdn():
    remote = re.compile(r"""(src|href)=["']https?://""")
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html") if remote.search(p.read_text())]
    assert offenders == []


def test_session_cookie_is_httponly_and_lax_and_not_secure_locally(client, make_user):
    make_user("staff")
    resp = client.post("/login", data={"email": "staff@example.org", "password": PASSWORD})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Strict-Transport-Security" not in resp.headers


def test_session_cookie_is_secure_outside_development(make_app):
    app = make_app(TESTING=False, DEBUG=False, WANJIA_ENV="production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    create_user("staff@example.org", PASSWORD, ["staff"])
    db.session.commit()
    client = app.test_client()
    resp = client.post("/login", data={"email": "staff@example.org", "password": PASSWORD})
    cookie = resp.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    lang = client.get("/?lang=en").headers["Set-Cookie"]
    assert "Secure" in lang


# -- CSRF ---------------------------------------------------------------------------------

def test_login_without_csrf_token_is_refused_in_both_languages(csrf_app):
    create_user("staff@example.org", PASSWORD, ["staff"])
    db.session.commit()
    client = csrf_app.test_client()
    resp = client.post("/login?lang=en", data={"email": "staff@example.org", "password": PASSWORD})
    assert resp.status_code == 400
    assert CSRF_MESSAGE in resp.get_data(as_text=True)
    resp = client.post("/login?lang=zh", data={"email": "staff@example.org", "password": PASSWORD})
    with force_locale("zh_Hans_CN"):
        assert _(CSRF_MESSAGE) in resp.get_data(as_text=True)
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_login_with_the_token_from_the_page_works(csrf_app):
    create_user("staff@example.org", PASSWORD, ["staff"])
    db.session.commit()
    client = csrf_app.test_client()
    login_with_token(client, "staff@example.org")
    with client.session_transaction() as sess:
        assert sess["_user_id"]


def test_json_post_needs_the_header_token(csrf_app):
    client = csrf_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    refused = client.post("/_test/echo", json={"a": 1})
    assert refused.status_code == 400
    assert refused.get_json()["message"] == CSRF_MESSAGE
    token = token_from(client, "/")
    wrong = client.post("/_test/echo", json={"a": 1}, headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400
    ok = client.post("/_test/echo", json={"a": 1}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.get_json() == {"got": {"a": 1}}


def test_csrf_helper_script_is_served_and_reads_the_meta_tag(client):
    html = client.get("/").get_data(as_text=True)
    assert TOKEN_RE.search(html)
    assert '<script src="/static/js/csrf.js"></script>' in html
    js = client.get("/static/js/csrf.js").get_data(as_text=True)
    assert 'meta[name="csrf-token"]' in js and "X-CSRFToken" in js


def _post_rules(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.endpoint.endswith("static"):
            yield rule


def _is_exempt(app, endpoint):
    view = app.view_functions[endpoint]
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views or blueprint in csrf._exempt_blueprints


def test_every_post_route_refuses_a_missing_token_except_the_webhook(csrf_app, dummy_url):
    user = create_user("all@example.org", PASSWORD, list(ROLES))
    db.session.commit()
    client = csrf_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_with_token(client, user.email)
    failures = []
    for rule in _post_rules(csrf_app):
        if rule.rule.startswith("/stripe/webhook"):
            continue
        if _is_exempt(csrf_app, rule.endpoint):
            failures.append(f"{rule.rule} is exempt from CSRF")
            continue
        resp = client.post(dummy_url(rule), data={})
        if resp.status_code != 400 or CSRF_MESSAGE not in resp.get_data(as_text=True):
            failures.append(f"{rule.rule}: {resp.status_code}")
    assert failures == []


def test_stripe_webhook_is_public_and_exempt_from_csrf(csrf_app):
    rules = [r for r in csrf_app.url_map.iter_rules() if r.rule.startswith("/stripe/webhook")]
    if not rules:
        pytest.skip("the Stripe webhook route is not there yet")
    for rule in rules:
        assert endpoint_roles(csrf_app, rule.endpoint) == {PUBLIC}
        resp = csrf_app.test_client().post(rule.rule, data=b"{}", content_type="application/json")
        assert "expired or was not sent from this site" not in resp.get_data(as_text=True)
        assert resp.status_code in (400, 401)  # refused for its missing signature, not for CSRF


def test_every_post_form_in_the_templates_carries_a_token():
    form_re = re.compile(r"<form\b[^>]*method=[\"']post[\"'][^>]*>(.*?)</form>", re.S | re.I)
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        for body in form_re.findall(path.read_text()):
            if "csrf_token" not in body and "hidden_tag" not in body:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_staff_sessions_expire(client, make_user):
    make_user("staff")
    resp = client.post("/login", data={"email": "staff@example.org", "password": PASSWORD})
    assert "Expires=" in resp.headers["Set-Cookie"]
    assert client.application.permanent_session_lifetime.total_seconds() == 8 * 3600


def test_client_address_comes_from_a_trusted_proxy_only(make_app):
    app = make_app(TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for address in ("203.0.113.1", "203.0.113.2"):
        codes = [client.post("/login", data={}, headers={"X-Forwarded-For": address}).status_code
                 for _i in range(3)]
        assert codes == [400, 400, 429], address


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(make_app):
    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    codes = [client.post("/login", data={}, headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
             for i in range(3)]
    assert codes == [400, 400, 429]
