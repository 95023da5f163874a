"""The Alembic history builds exactly the schema the models describe, on SQLite and on
PostgreSQL, with the same triggers as ``create_all``, and comes down again to nothing."""
import uuid
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _app(url):
    from wsgi import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": url})


def _triggers(conn) -> set:
    if conn.dialect.name == "sqlite":
        return set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
    return set(conn.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal").scalars())


def _differences(conn) -> list:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return compare_metadata(context, db.metadata)


def _upgrade_compare_downgrade(migrated_url, reference_url):
    app = _app(migrated_url)
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            assert _differences(conn) == [], 'models changed: run `make migration MSG="…"`'
            migrated_triggers = _triggers(conn)
        flask_migrate.downgrade(revision="base")
        with db.engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == ["alembic_version"]
        flask_migrate.upgrade()  # and up again: the way down left nothing in the way
        with db.engine.connect() as conn:
            assert _differences(conn) == []
        db.engine.dispose()
    reference = _app(reference_url)
    with reference.app_context():
        db.create_all()
        with db.engine.connect() as conn:
            assert migrated_triggers == _triggers(conn), "call ledger.schema.install_triggers in upgrade()"
        db.session.remove()
        db.engine.dispose()


def test_history_has_one_head():
    script = ScriptDirectory.from_config(_alembic_config())
    assert len(script.get_heads()) == 1
    assert list(script.walk_revisions())[-1].down_revision is None


def _alembic_config():
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def test_upgrade_matches_the_models_on_sqlite(tmp_path):
    _upgrade_compare_downgrade(f"sqlite:///{tmp_path / 'migrated.sqlite3'}",
                               f"sqlite:///{tmp_path / 'reference.sqlite3'}")


@pytest.fixture
def pg_databases(pg_server):
    """Two empty databases on the test PostgreSQL server, dropped afterwards."""
    names = [f"wanjia_mig_{uuid.uuid4().hex[:8]}" for _i in range(2)]
    with pg_server.admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    base = sa.make_url(pg_server.url)
    yield [base.set(database=n).render_as_string(hide_password=False) for n in names]
    with pg_server.admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_upgrade_matches_the_models_on_postgresql(pg_databases):
    _upgrade_compare_downgrade(*pg_databases)


def test_the_checker_sees_a_missing_table(tmp_path):
    app = _app(f"sqlite:///{tmp_path / 'partial.sqlite3'}")
    with app.app_context():
        with db.engine.begin() as conn:
            db.metadata.tables["users"].create(conn)
            assert ("add_table", "user_roles") in [(d[0], d[1].name) for d in _differences(conn)
                                                   if d[0] == "add_table"]
        db.engine.dispose()


def test_make_migration_autogenerates_with_the_message():
    import subprocess

    root = MIGRATIONS.parent
    dry = subprocess.run(["make", "-n", "migration", 'MSG=add pledges'], cwd=root, capture_output=True,
                         text=True, timeout=30)
    assert dry.returncode == 0, dry.stderr
    assert '.venv/bin/flask --app wsgi db migrate -m "add pledges"' in dry.stdout
    refused = subprocess.run(["make", "-s", "migration"], cwd=root, capture_output=True, text=True,
                             timeout=30)
    assert refused.returncode == 2
    assert 'usage: make migration MSG="what changed"' in refused.stdout
