"""Alembic environment: the app's own metadata and engine.

Run through ``flask --app wsgi db …`` (the app is then current); a bare ``alembic -c
migrations/alembic.ini …`` builds the app itself, from the environment.
"""
import logging
from contextlib import nullcontext
from logging.config import fileConfig

from alembic import context
from flask import current_app, has_app_context

config = context.config
if config.config_file_name is not None:
    # Keep loggers that already exist (the app's, pytest's) working.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def _app_context():
    if has_app_context():
        return nullcontext()
    from wsgi import create_app

    return create_app().app_context()


def _skip_empty_revision(context_, revision, directives):
    """``db migrate`` with no model change writes no empty revision file."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def _configure_args(connection) -> dict:
    args = dict(current_app.extensions["migrate"].configure_args)
    args.setdefault("process_revision_directives", _skip_empty_revision)
    args.setdefault("compare_type", True)
    # SQLite cannot ALTER most things: Alembic copies the table instead.
    args.setdefault("render_as_batch", connection.dialect.name == "sqlite")
    return args


def run_migrations_offline() -> None:
    db = current_app.extensions["migrate"].db
    context.configure(url=db.engine.url, target_metadata=db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    db = current_app.extensions["migrate"].db
    with db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata,
                          **_configure_args(connection))
        with context.begin_transaction():
            context.run_migrations()


with _app_context():
    if context.is_offline_mode():
        run_migrations_offline()
    else:
        run_migrations_online()
