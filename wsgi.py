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
    from core import cache, i18n, security
    from core.auth import configure_login
    from core.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    configure_login(app)
    i18n.init_app(app)
    security.init_app(app)
    cache.init_app(app)  # short-lived public figures (PUBLIC_CACHE_SECONDS)


#: Every blueprint as (module, what it serves), bottom layer first. Modules are imported
#: only when an app is built, so that importing ``wsgi`` touches nothing.
BLUEPRINTS = (
    ("core.views", "login, errors; /admin/users inside it"),
    ("core.audit_views", "/audit: the finance audit log, admins and auditors"),
    ("ledger.views", "/finance: trial balance, accounts, funds, entries, periods"),
    ("campaigns.views", "/staff: campaigns and designations"),
    ("campaigns.homes.views", "/staff/homes: sub-funds, goods, households, deliveries"),
    ("campaigns.wishes.views", "/staff/wishes: wish drives"),
    ("campaigns.matching.views", "/staff/matching: sponsors, pledges, review, statements"),
    ("campaigns.teams.views", "/staff/teams/<campaign>: teams"),
    ("donate.views", "/, /c/<slug>, the JSON API"),
    ("donate.giving", "donate, pay, thank-you, receipts, the Stripe webhook"),
    ("donate.transparency", "where the money went"),
    ("donate.share", "share cards /c/<slug>/share.png, the wish page /w/<id>"),
    ("donate.wishes", "the public wish board"),
    ("donate.teams_views", "/c/<slug>/teams, /c/<slug>/t/<team> (一起捐)"),
    ("donate.donor", "/donor: a donor's gifts and monthly plans, signed in by link"),
    ("donate.yearend_views", "/statements/<token>: year-end statements; the finance batch"),
    ("donate.openapi", "/api/v1/openapi.json"),
    ("donate.backoffice", "/finance/donations"),
    ("finance.bank_views", "/finance/bank"),
    ("finance.approvals_views", "/finance/approvals"),
    ("finance.offline_views", "/finance/offline-gifts"),
    ("finance.stripe_views", "/finance/stripe"),
    ("finance.shortfall_views", "/finance/refund-shortfalls: refunds of spent restricted money"),
    ("finance.close_views", "/finance/close/<YYYY-MM>"),
    ("finance.statements", "/finance/statements"),
)
#: Modules with a second, public blueprint beside their staff one.
EXTRA_BLUEPRINTS = (("campaigns.matching.views", "public_bp"),)

#: Command groups as (module, attribute).
COMMANDS = (
    ("core.cli", "users_cli"), ("core.backup", "backup_cli"), ("ledger.cli", "ledger_cli"),
    ("campaigns.wishes.cli", "wishes_cli"), ("campaigns.matching.cli", "matching_cli"),
    ("campaigns.homes.pii_rotation", "homes_cli"), ("donate.yearend_cli", "donors_cli"),
    ("finance.stripe_cli", "stripe_recon_cli"),
)


def configure_blueprints(app: Flask) -> None:
    from importlib import import_module

    for module, _serves in BLUEPRINTS:
        app.register_blueprint(import_module(module).bp)
    for module, name in EXTRA_BLUEPRINTS:
        app.register_blueprint(getattr(import_module(module), name))
    # The navigation shows a section's link only once that section has an index page.
    app.jinja_env.globals["url_endpoints"] = app.view_functions


def configure_cli(app: Flask) -> None:
    from importlib import import_module

    from donate.cli import register_donate_cli

    for module, name in COMMANDS:
        app.cli.add_command(getattr(import_module(module), name))
    # demo, payments and outbox: at the top, since seeding and paying touch every layer.
    register_donate_cli(app)
