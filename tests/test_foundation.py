"""The shell: configuration, the app factory under flask and gunicorn, error pages, layout."""
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from core.access import PUBLIC, STAFF, requires
from core.config import DEV_SECRET_KEY, ConfigError, load_config
from core.extensions import db

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery"


def in_chinese(msgid, **kw):
    with force_locale("zh_Hans_CN"):
        return _(msgid, **kw)


def page(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """An environment with no Wanjia settings and a database file under ``tmp_path``."""
    for name in ("SECRET_KEY", "WANJIA_ENV", "FLASK_DEBUG", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite3'}")
    return tmp_path


def run(args, env_overrides, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "WANJIA_ENV", "FLASK_DEBUG")}
    env.update(env_overrides)
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, **kw)


# -- configuration ------------------------------------------------------------------------

def test_production_refuses_the_development_secret_key(clean_env):
    with pytest.raises(ConfigError) as err:
        load_config(str(clean_env))
    message = str(err.value)
    assert "\n" not in message
    assert "set the SECRET_KEY environment variable" in message


@pytest.mark.parametrize("env", [{"WANJIA_ENV": "development"}, {"FLASK_DEBUG": "1"}])
def test_development_may_use_the_development_key(clean_env, monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cfg = load_config(str(clean_env))
    assert cfg["SECRET_KEY"] == DEV_SECRET_KEY
    assert cfg["SESSION_COOKIE_SECURE"] is False


def test_an_empty_secret_key_is_the_development_key(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "")
    with pytest.raises(ConfigError):
        load_config(str(clean_env))


def test_production_with_a_secret_key_has_secure_cookies(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s3cret-from-the-vault")
    cfg = load_config(str(clean_env))
    assert (cfg["SECRET_KEY"], cfg["SESSION_COOKIE_SECURE"]) == ("s3cret-from-the-vault", True)
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True and cfg["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("url, expected", [
    ("postgres://u:p@db/wanjia", "postgresql+psycopg://u:p@db/wanjia"),
    ("postgresql://u@db/wanjia", "postgresql+psycopg://u@db/wanjia"),
    ("postgresql+psycopg:///wanjia?host=/run", "postgresql+psycopg:///wanjia?host=/run"),
])
def test_database_url_uses_the_installed_driver(clean_env, monkeypatch, url, expected):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("WANJIA_ENV", "development")
    assert load_config(str(clean_env))["SQLALCHEMY_DATABASE_URI"] == expected


def test_default_database_is_a_file_under_instance(clean_env, monkeypatch):
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("WANJIA_ENV", "development")
    assert load_config("/srv/inst")["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/inst/wanjia.sqlite3"


def test_create_app_without_arguments_reads_the_environment_and_touches_no_database(clean_env, monkeypatch):
    from wsgi import create_app

    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("app.sqlite3")
    assert not (clean_env / "app.sqlite3").exists()


def test_flask_cli_starts_in_development_and_refuses_production_without_key(tmp_path):
    db_env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    ok = run([str(BIN / "flask"), "--app", "wsgi", "routes"], {**db_env, "WANJIA_ENV": "development"})
    assert ok.returncode == 0, ok.stderr
    assert "core.login" in ok.stdout
    refused = run([str(BIN / "flask"), "--app", "wsgi", "routes"], {**db_env, "WANJIA_ENV": "production"})
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1].startswith("Refusing to start with the development secret key")
    assert "Traceback" not in refused.stderr


def test_gunicorn_loads_the_factory(tmp_path):
    db_env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'g.sqlite3'}"}
    ok = run([str(BIN / "gunicorn"), "--check-config", "wsgi:create_app()"], {**db_env, "SECRET_KEY": "k"})
    assert ok.returncode == 0, ok.stderr
    refused = run([str(BIN / "gunicorn"), "--check-config", "wsgi:create_app()"], db_env)
    assert refused.returncode == 1
    assert "set the SECRET_KEY environment variable" in refused.stderr
    assert not (tmp_path / "g.sqlite3").exists()


# -- error pages --------------------------------------------------------------------------

TITLES = {
    403: "You do not have access to this page",
    404: "Page not found",
    405: "This action is not allowed here",
    413: "The upload is too large",
    500: "Something went wrong on our side",
}


def _trigger(app, client, code, lang):
    if code == 403:
        return client.get(f"/_test/staff-only?lang={lang}")
    if code == 404:
        return client.get(f"/no/such/page?lang={lang}")
    if code == 405:
        return client.get(f"/logout?lang={lang}")
    if code == 413:
        return client.post(f"/login?lang={lang}", data={"email": "x" * 4096, "password": "y"})
    return client.get(f"/_test/boom?lang={lang}")


@pytest.fixture
def error_app(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False, MAX_CONTENT_LENGTH=2048)

    @requires(PUBLIC)
    def boom():
        from core.auth import create_user

        create_user("ghost@example.org", PASSWORD, ["admin"])  # flushed, not committed
        raise RuntimeError("a bug")

    app.add_url_rule("/_test/boom", "boom", boom)
    app.add_url_rule("/_test/staff-only", "staff_only", requires(STAFF)(lambda: "staff"))
    return app


@pytest.fixture
def finance_client(error_app):
    from core.auth import create_user

    create_user("finance@example.org", PASSWORD, ["finance"])
    db.session.commit()
    client = error_app.test_client()
    assert client.post("/login", data={"email": "finance@example.org", "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("code", sorted(TITLES))
def test_error_pages_are_friendly_in_english_and_chinese(error_app, finance_client, code):
    resp = _trigger(error_app, finance_client, code, "en")
    assert resp.status_code == code
    html = page(resp)
    assert f'<h1 id="error-title">{TITLES[code]}</h1>' in html
    assert 'lang="en"' in html and "Back to the home page" in html
    assert "Traceback" not in html and "a bug" not in html
    assert resp.headers["X-Frame-Options"] == "DENY"
    zh = _trigger(error_app, finance_client, code, "zh")
    assert zh.status_code == code
    assert f'<h1 id="error-title">{in_chinese(TITLES[code])}</h1>' in page(zh)
    assert 'lang="zh-CN"' in page(zh)


def test_a_server_error_rolls_back_and_the_next_request_works(error_app, finance_client):
    from core.auth import User

    assert finance_client.get("/_test/boom").status_code == 500
    assert db.session.scalars(db.select(User.email)).all() == ["finance@example.org"]
    assert finance_client.get("/?lang=en").status_code == 200


def test_json_callers_get_json_errors(error_app):
    resp = error_app.test_client().get("/no/such/page?lang=en", headers={"Accept": "application/json"})
    assert resp.status_code == 404
    assert resp.get_json() == {"error": 404, "title": "Page not found", "message": None}


# -- layout -------------------------------------------------------------------------------

def test_layout_has_landmarks_skip_link_and_language_switch(client):
    html = page(client.get("/?lang=en"))
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<header class="site-header"' in html and '<main id="main"' in html and "<footer" in html
    assert '<nav aria-label="Main navigation"' in html
    assert '<nav aria-label="Language"' in html
    assert 'href="/?lang=zh_Hans_CN" hreflang="zh-CN" lang="zh-CN">中文</a>' in html
    assert '<span aria-current="true">English</span>' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert ">Staff login</a>" in html and "Log out" not in html


@pytest.mark.parametrize("role", ["staff", "finance", "admin", "auditor"])
def test_navigation_shows_only_the_sections_the_role_may_open(client, login, role):
    from core.access import endpoint_roles

    login(role)
    html = page(client.get("/?lang=en"))
    assert "Log out" in html and "Staff login" not in html
    for endpoint, label in (("campaigns.index", "Campaigns"), ("homes.index", "Homes"), ("donations.index", "Donations"), ("wishes_staff.index", "Wishes"), ("ledger.index", "Finance"), ("core.admin.users", "Accounts")):
        exists = endpoint in client.application.view_functions
        allowed = exists and role in endpoint_roles(client.application, endpoint)
        assert (f">{label}</a>" in html) == allowed, endpoint
    if "campaigns.index" in client.application.view_functions and role == "staff":
        assert '<a href="/staff/">Campaigns</a>' in html


def test_static_assets_are_served_locally(client):
    html = page(client.get("/"))
    assert 'href="/static/css/site.css"' in html
    assert client.get("/static/css/site.css").status_code == 200
    assert "https://" not in html.split("<body>")[0]


# -- accessibility of every page that needs no argument ---------------------------------

class _PageAudit(HTMLParser):
    """Collects what a screen-reader user would miss: unlabelled fields, images without alt."""

    def __init__(self):
        super().__init__()
        self.labels, self.fields, self.problems, self.h1 = set(), [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.problems += [f"<{tag} {k}=None>" for k, v in attrs if v == "None"]
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        elif tag == "h1":
            self.h1 += 1
        elif tag == "img" and "alt" not in a:
            self.problems.append(f"<img src={a.get('src')}> has no alt")
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            if not (a.get("aria-label") or a.get("aria-labelledby")):
                self.fields.append(a.get("id") or a.get("name"))

    def audit(self, html):
        self.feed(html)
        missing = [f"field {f} has no label" for f in self.fields if f not in self.labels]
        return self.problems + missing + ([] if self.h1 == 1 else [f"{self.h1} <h1> elements"])


@pytest.mark.parametrize("role", [None, "staff", "finance", "admin", "auditor"])
def test_pages_label_their_fields_and_have_one_heading(app, client, login, role):
    if role:
        login(role)
    failures = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint.endswith("static"):
            continue
        resp = client.get(f"{rule.rule}?lang=en")
        if resp.status_code == 200 and resp.mimetype == "text/html":
            failures += [f"{rule.rule}: {p}" for p in _PageAudit().audit(page(resp))]
    assert failures == []


def test_the_page_audit_sees_what_it_should():
    html = ('<h1>a</h1><h1>b</h1><label for="x">X</label><input id="x" aria-invalid="None"><input name="y">'
            '<input type="hidden" name="csrf_token"><img src="/q.svg">')
    assert _PageAudit().audit(html) == [
        "<input aria-invalid=None>", "<img src=/q.svg> has no alt", "field y has no label", "2 <h1> elements",
    ]
