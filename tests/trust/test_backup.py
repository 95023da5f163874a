"""Backup and restore (issue #10): the demo office's books (gifts, deliveries, wishes) backed
up and restored into a fresh database verify clean, with a trial balance and row counts
identical to the original's. SQLite through the online backup API, PostgreSQL through
pg_dump/pg_restore."""
import json
import shutil
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from core.backup import BackupError, create_backup, restore_backup
from core.extensions import db
from tests.conftest import _make_app
from tests.trust.conftest import seed_demo, snapshot

NOW = datetime(2026, 11, 29, 9, 45, tzinfo=timezone.utc)


def books(app) -> dict:
    """What must survive: verify's verdict, the trial balance (JSON) and every row count."""
    with app.app_context():
        runner = app.test_cli_runner()
        verify = runner.invoke(args=["ledger", "verify"])
        tb = runner.invoke(args=["ledger", "trial-balance", "--format", "json"])
        assert tb.exit_code == 0, tb.output
        counts = snapshot()
        db.session.remove()
        db.engine.dispose()
    return {"verify": (verify.exit_code, verify.output), "trial balance": json.loads(tb.output),
            "rows": counts}


def seeded_app(url: str, create: bool, seed: bool = True):
    app = _make_app(url)
    with app.app_context():
        if create:
            db.create_all()
        if seed:
            seed_demo(app)
        db.session.remove()
        db.engine.dispose()
    return app


def test_sqlite_backup_restores_into_a_fresh_file_with_identical_books(tmp_path):
    original = seeded_app(f"sqlite:///{tmp_path / 'live.sqlite3'}", create=True)
    result = original.test_cli_runner().invoke(args=["backup", "create", "--dir", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    [backup] = list((tmp_path / "b").glob("wanjia-*.sqlite3"))
    assert result.output == f"backup written: {backup}\n"
    fresh = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    result = original.test_cli_runner().invoke(args=["backup", "restore", str(backup), "--to", fresh])
    assert result.exit_code == 0, result.output
    before, after = books(original), books(_make_app(fresh))
    assert before["verify"] == (0, "ledger verified: no problems\n")
    assert after == before
    assert before["rows"]["donations"] >= 40 and before["rows"]["journal_entries"] > 40


def test_backup_file_names_carry_the_time(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    seeded_app(url, create=True, seed=False)
    path = create_backup(url, tmp_path / "b", now=NOW)
    assert path.name == "wanjia-20261129T094500Z.sqlite3"
    with pytest.raises(BackupError, match="exists already"):
        create_backup(url, tmp_path / "b", now=NOW)


def test_restore_never_overwrites_a_database_and_refuses_a_broken_backup(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    seeded_app(url, create=True, seed=False)
    backup = create_backup(url, tmp_path / "b", now=NOW)
    with pytest.raises(BackupError, match="restore into a fresh database file"):
        restore_backup(backup, url)
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(backup.read_bytes()[:4096] + b"\x00" * 4096)
    with pytest.raises(BackupError, match="integrity check"):
        restore_backup(broken, f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    assert not (tmp_path / "fresh.sqlite3").exists()
    with pytest.raises(BackupError, match="no backup file"):
        restore_backup(tmp_path / "missing.sqlite3", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")


@pytest.fixture
def empty_pg_database(pg_server):
    """A second, empty database on the test server, dropped afterwards."""
    name = f"{pg_server.name}_restored"
    with pg_server.admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    yield sa.make_url(pg_server.url).set(database=name).render_as_string(hide_password=False)
    with pg_server.admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_postgres_dump_restores_into_an_empty_database_with_identical_books(
        pg_server, empty_pg_database, tmp_path):
    from tests.conftest import component_missing

    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        component_missing("pg_dump/pg_restore are not installed")
    pg_server.truncate()
    original = seeded_app(pg_server.url, create=False)
    path = create_backup(pg_server.url, tmp_path, now=NOW)
    assert path.name == "wanjia-20261129T094500Z.dump"
    restore_backup(path, empty_pg_database)
    before, after = books(original), books(_make_app(empty_pg_database))
    assert before["verify"] == (0, "ledger verified: no problems\n")
    assert after == before
    with pytest.raises(BackupError, match="restore into an empty database"):
        restore_backup(path, empty_pg_database)
