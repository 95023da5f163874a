"""Fixtures shared by every test.

The main engine is SQLite (a fresh file per test) unless ``TEST_DATABASE_URL`` names a
PostgreSQL server, in which case this session creates its own throwaway database there,
builds the schema once and truncates every table between tests. Tests that need PostgreSQL
whatever the main engine (concurrency proofs) use ``pg_app``. A missing component skips,
except under ``WANJIA_REQUIRE_COMPONENTS=1`` (CI), where it fails.
"""
import os
import uuid

import pytest
import sqlalchemy as sa

from core.extensions import db

PG_SERVER_DEFAULT = "postgresql+psycopg:///postgres?host=/var/run/postgresql"


def component_missing(reason: str):
    """Skip for lack of a component, or fail where CI requires every component."""
    if os.environ.get("WANJIA_REQUIRE_COMPONENTS") == "1":
        pytest.fail(f"component missing in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _main_engine_is_pg() -> bool:
    return os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def _make_app(url: str, **overrides):
    from wsgi import create_app

    cfg = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "SERVER_NAME": "localhost",
    }
    cfg.update(overrides)
    return create_app(cfg)


class PgServer:
    """One throwaway database on a PostgreSQL server for the whole pytest session."""

    def __init__(self, server_url: str):
        self.admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.name = f"wanjia_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}" ENCODING \'UTF8\' TEMPLATE template0'))
        self.url = sa.make_url(server_url).set(database=self.name).render_as_string(hide_password=False)
        app = _make_app(self.url)
        with app.app_context():
            db.create_all()
            self.tables = [t.name for t in db.metadata.sorted_tables]
            db.session.remove()
            db.engine.dispose()
        self.engine, self.fast_reset = None, None

    def truncate(self):
        """Empty every table and restart every id sequence, as TRUNCATE … RESTART IDENTITY
        would. A superuser (CI) deletes with triggers switched off instead, ~100× faster on
        a schema of sixty tables; the append-only triggers would refuse a plain DELETE."""
        if self.engine is None:
            self.engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
            self.fast_reset = self._fast_reset_sql()
        with self.engine.begin() as conn:
            if self.fast_reset:
                conn.exec_driver_sql(self.fast_reset)
            else:
                names = ", ".join(f'"{t}"' for t in self.tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))

    def _fast_reset_sql(self) -> str | None:
        with self.engine.connect() as conn:
            if not conn.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
                return None
            sequences = conn.scalars(sa.text(
                "SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name) "
                "FROM information_schema.sequences")).all()
        return ("SET LOCAL session_replication_role = replica;\n"
                + "".join(f'DELETE FROM "{t}";\n' for t in self.tables)
                + "".join(f"SELECT setval('{q}', 1, false);\n" for q in sequences))

    def drop(self):
        if self.engine is not None:
            self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_server():
    url = os.environ.get("TEST_DATABASE_URL") if _main_engine_is_pg() else None
    url = url or os.environ.get("WANJIA_TEST_PG_SERVER", PG_SERVER_DEFAULT)
    try:
        server = PgServer(url)
    except sa.exc.OperationalError as err:
        component_missing(f"no PostgreSQL server at {url}: {str(err).splitlines()[0]}")
    yield server
    server.drop()


def _app_on(url: str, create_schema: bool):
    app = _make_app(url)
    with app.app_context():
        if create_schema:
            db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def database_url(request, tmp_path):
    if _main_engine_is_pg():
        server = request.getfixturevalue("pg_server")
        server.truncate()
        return server.url
    return f"sqlite:///{tmp_path / 'wanjia.sqlite3'}"


@pytest.fixture
def app(database_url):
    """An app on the main engine with an empty schema, inside an app context."""
    yield from _app_on(database_url, create_schema=database_url.startswith("sqlite"))


@pytest.fixture
def pg_app(pg_server):
    """An app on PostgreSQL whatever the main engine (for concurrency proofs)."""
    pg_server.truncate()
    yield from _app_on(pg_server.url, create_schema=False)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    from core.auth import create_user

    def make(role, email=None, password="correct horse battery"):
        user = create_user(email or f"{role}@example.org", password, [role])
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client, make_user):
    """Log the test client in with a fresh user holding ``role``; returns the user."""

    def do(role, email=None):
        user = make_user(role, email)
        resp = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return user

    return do


@pytest.fixture
def make_app(database_url):
    """Build an app on the main engine with config ``overrides`` (e.g. CSRF switched on).

    The app's context is pushed and its schema is empty, as with ``app``; use it instead of
    ``app`` (not together) when a test needs other settings.
    """
    contexts = []

    def make(**overrides):
        app = _make_app(database_url, **overrides)
        ctx = app.app_context()
        ctx.push()
        contexts.append(ctx)
        if database_url.startswith("sqlite"):
            db.create_all()
        return app

    yield make
    for ctx in reversed(contexts):
        db.session.remove()
        db.engine.dispose()
        ctx.pop()


def _dummy_value(converter):
    from werkzeug.routing import AnyConverter, FloatConverter, IntegerConverter, UUIDConverter

    if isinstance(converter, IntegerConverter):
        return 987654
    if isinstance(converter, FloatConverter):
        return 1.5
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=987654)
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]  # a set in recent Werkzeug
    return "no-such-thing"


@pytest.fixture
def dummy_url():
    """``dummy_url(rule)``: a path for a URL rule, with made-up values for its arguments."""

    def build(rule) -> str:
        values = {name: _dummy_value(conv) for name, conv in rule._converters.items()}
        values.update(rule.defaults or {})
        return rule.build(values, append_unknown=False)[1]

    return build


#: The service actions that take a new campaign to each status.
STATUS_PATH = {"draft": [], "live": ["publish"], "paused": ["publish", "pause"],
               "closed": ["publish", "close"]}


def campaign_in_status(status: str, **fields):
    """A campaign created and moved to ``status`` through the campaign services; committed."""
    from campaigns import services

    campaign = services.create_campaign(db.session, services.CampaignInput(**fields))
    for action in STATUS_PATH[status]:
        services.change_status(db.session, campaign, action)
    db.session.commit()
    return campaign
