"""Builds the Wanjia app. Nothing imports this module; ``flask --app wsgi`` and
``gunicorn 'wsgi:create_app()'`` call :func:`create_app`."""
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent


def create_app(config: dict | None = None) -> Flask:
    """Make an app; ``config`` overrides the environment (tests pass their database here)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure_settings(app, config)
    configure_extensions(app)
    configure_blueprints(app)
    configure_cli(app)
    return app


def configure_settings(app: Flask, config: dict | None) -> None:
    from core.config import load_config

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path, config))


def configure_extensions(app: Flask) -> None:
    from core import i18n, security
    from core.auth import configure_login
    from core.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    configure_login(app)
    i18n.init_app(app)
    security.init_app(app)


def configure_blueprints(app: Flask) -> None:
    from campaigns.homes.views import bp as homes_bp
    from campaigns.views import bp as campaigns_bp
    from campaigns.wishes.views import bp as wishes_staff_bp
    from core.views import bp as core_bp
    from donate.backoffice import bp as donations_bp
    from donate.giving import bp as giving_bp
    from donate.transparency import bp as transparency_bp
    from donate.views import bp as donate_bp
    from donate.wishes import bp as wishes_bp
    from ledger.views import bp as ledger_bp

    for bp in (core_bp, ledger_bp, campaigns_bp, homes_bp, donate_bp, giving_bp,
               transparency_bp, wishes_staff_bp, wishes_bp, donations_bp):
        app.register_blueprint(bp)
    # The navigation shows a section's link only once that section has an index page.
    app.jinja_env.globals["url_endpoints"] = app.view_functions


def configure_cli(app: Flask) -> None:
    from campaigns.wishes.cli import wishes_cli
    from core.cli import users_cli
    from donate.cli import register_donate_cli
    from ledger.cli import ledger_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(wishes_cli)
    # demo, payments and outbox: at the top, since seeding and paying touch every layer.
    register_donate_cli(app)
