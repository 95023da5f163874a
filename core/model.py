"""The declarative base shared by every model (plain SQLAlchemy, no Flask).

The ledger's engine subclasses :class:`Base` directly so that it runs without Flask; the
Flask-SQLAlchemy ``db.Model`` is built on the same base, so one metadata holds every table
and one Alembic history migrates them all.
"""
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

#: Named constraints, so that Alembic migrations can refer to them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, let readers and one writer overlap, wait for locks.

    ``synchronous=NORMAL`` is the setting WAL is designed for: a commit survives the
    application crashing, but the last few commits may be lost if the machine loses power
    (the database itself stays consistent). It makes a one-entry commit ~5x cheaper; an
    installation that must survive power loss runs PostgreSQL (see docs/ledger.md).
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
