"""Fixtures of the trust tests (issue #10): one seeded demo office shared by a whole test
module, a client logged in with every staff role, and :func:`snapshot` — the row count of
every table plus the ledger's hash head — to prove that refused input wrote nothing."""
import pytest
import sqlalchemy as sa

from core.extensions import db
from tests.conftest import _main_engine_is_pg, _make_app

PASSWORD = "correct horse battery"
#: Every role that may write something (the auditor only reads).
WRITER_ROLES = ("staff", "finance", "admin")


def snapshot() -> dict:
    """``{table: row count}`` of every table, and ``"chain head"``: the last entry's hash."""
    from ledger.models import ChainHead

    db.session.rollback()
    tables = db.metadata.sorted_tables
    # One round trip: a scalar subquery per table.
    row = db.session.execute(sa.select(
        *(sa.select(sa.func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables),
        sa.select(ChainHead.last_hash).scalar_subquery().label("chain head"))).one()
    return dict(row._mapping)


def seed_demo(app) -> None:
    """The demo office (campaigns, 36 gifts, 300 households, deliveries, wishes)."""
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def world(request, tmp_path_factory):
    """An app with the demo office seeded once for the module, its context pushed.

    Tests that use it must write nothing that the next test could trip over (the hostile
    input tests assert exactly that).
    """
    if _main_engine_is_pg():
        server = request.getfixturevalue("pg_server")
        server.truncate()
        url = server.url
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('world') / 'wanjia.sqlite3'}"
    app = _make_app(url, RATELIMIT_ENABLED=False)
    ctx = app.app_context()
    ctx.push()
    if url.startswith("sqlite"):
        db.create_all()
    seed_demo(app)
    yield app
    db.session.remove()
    db.engine.dispose()
    ctx.pop()


@pytest.fixture(scope="module")
def writer(world):
    """A test client logged in as one user holding staff, finance and admin."""
    from core.auth import create_user

    create_user("writer@example.org", PASSWORD, WRITER_ROLES)
    db.session.commit()
    client = world.test_client()
    resp = client.post("/login", data={"email": "writer@example.org", "password": PASSWORD})
    assert resp.status_code == 302
    return client


@pytest.fixture(scope="module")
def machine_app(tmp_path_factory):
    """An app on its own SQLite file for a state machine test's module, context pushed."""
    app = _make_app(f"sqlite:///{tmp_path_factory.mktemp('machine') / 'wanjia.sqlite3'}")
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


# The giving tests' localstripe server and its helpers, for the trust tests that pay.
from tests.donate.conftest import gateway, live_server, localstripe_server, stripe_url  # noqa: E402,F401
