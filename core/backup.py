"""Backups: ``flask --app wsgi backup create`` and ``backup restore``.

* SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
  while the app keeps serving; the copy is checked (``PRAGMA integrity_check``) before it is
  kept. A restore writes a *fresh* database file, never over an existing one.
* PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore`` into an empty database (see
  docs/security.md for the manual procedure). Triggers and constraints are restored after the
  data, so the ledger's append-only triggers do not refuse the restore.

After any restore, ``flask --app wsgi ledger verify`` must say "no problems": the hash chain
proves that no entry was lost or changed on the way. This module imports no Wanjia package.
"""
import os
import shutil
import sqlite3
# pg_dump/pg_restore run with an argument list, never through a shell.
import subprocess  # nosec B404
from datetime import datetime, timezone
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

backup_cli = AppGroup("backup", help="Back up the database, or restore a backup into a fresh one.")


class BackupError(click.ClickException):
    """A backup or restore that cannot be done safely; the message says why."""


def stamp(now: datetime | None = None) -> str:
    """``20261129T094500Z``: sorts by time, safe in a file name."""
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def _sqlite_path(url: str) -> Path:
    path = sa.make_url(url).database
    if not path or path == ":memory:":
        raise BackupError(f"not a SQLite database file: {url}")
    return Path(path)


def _check_integrity(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as err:  # not a database at all
        result = str(err)
    finally:
        conn.close()
    if result != "ok":
        raise BackupError(f"{path} failed its integrity check: {result}")


def _copy_sqlite(source: Path, target: Path) -> None:
    """Page-by-page online copy; readers and the writer of ``source`` carry on meanwhile."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup_sqlite(url: str, out_dir: Path, now: datetime | None = None) -> Path:
    """Copy the SQLite database at ``url`` to ``out_dir/wanjia-<stamp>.sqlite3``."""
    source = _sqlite_path(url)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"wanjia-{stamp(now)}.sqlite3"
    if target.exists():
        raise BackupError(f"{target} exists already")
    _copy_sqlite(source, target)
    _check_integrity(target)
    return target


def restore_sqlite(backup: Path, url: str) -> Path:
    """Restore ``backup`` as the fresh SQLite database of ``url`` (which must not exist)."""
    target = _sqlite_path(url)
    if target.exists() and target.stat().st_size > 0:
        raise BackupError(f"{target} exists: restore into a fresh database file")
    _check_integrity(backup)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _copy_sqlite(backup, partial)
    partial.replace(target)  # atomic: a crash leaves no half-restored database behind
    return target


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq URI without the password (which goes into the environment instead)."""
    parsed = sa.make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(tool: str, args: list[str], env: dict) -> None:
    binary = shutil.which(tool)
    if binary is None:
        raise BackupError(f"{tool} is not installed (apt-get install postgresql-client)")
    # An absolute binary and an argument list: no shell, nothing for the caller to inject.
    done = subprocess.run([binary, *args], env=env, capture_output=True, text=True,  # nosec B603
                          check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[-500:]}")


def backup_postgres(url: str, out_dir: Path, now: datetime | None = None) -> Path:
    """``pg_dump --format=custom`` of ``url`` to ``out_dir/wanjia-<stamp>.dump``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"wanjia-{stamp(now)}.dump"
    uri, env = _libpq(url)
    _run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={target}",
                     f"--dbname={uri}"], env)
    return target


def restore_postgres(dump: Path, url: str) -> None:
    """``pg_restore`` ``dump`` into the database of ``url``, which must have no tables."""
    engine = sa.create_engine(url)
    try:
        tables = sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupError("the target database has tables: restore into an empty database")
    uri, env = _libpq(url)
    _run("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                        f"--dbname={uri}", str(dump)], env)


def create_backup(url: str, out_dir: Path, now: datetime | None = None) -> Path:
    """A backup of the database at ``url`` in ``out_dir``, by the engine's own means."""
    if url.startswith("sqlite"):
        return backup_sqlite(url, out_dir, now)
    if url.startswith("postgresql"):
        return backup_postgres(url, out_dir, now)
    raise BackupError(f"no backup method for {sa.make_url(url).drivername}")


def restore_backup(backup: Path, url: str) -> None:
    """Restore ``backup`` into the fresh database at ``url``."""
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    if url.startswith("sqlite"):
        restore_sqlite(backup, url)
    elif url.startswith("postgresql"):
        restore_postgres(backup, url)
    else:
        raise BackupError(f"no restore method for {sa.make_url(url).drivername}")


@backup_cli.command("create")
@click.option("--dir", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write it (default: instance/backups).")
def create_command(out_dir):
    """Back up the app's database to a timestamped file."""
    out_dir = out_dir or Path(current_app.instance_path) / "backups"
    path = create_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], out_dir)
    click.echo(f"backup written: {path}")


@backup_cli.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "target", required=True,
              help="Database URL of the fresh database to restore into.")
def restore_command(backup, target):
    """Restore BACKUP into a fresh database; then run `ledger verify` against it."""
    restore_backup(backup, target)
    click.echo(f"restored {backup} into {sa.make_url(target).render_as_string(hide_password=True)}")
