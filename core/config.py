"""Configuration from the environment, with safe local defaults."""
import os
from pathlib import Path

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused outside debug/testing


class ConfigError(RuntimeError):
    """The environment does not allow the app to start safely."""


def _default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "wanjia.sqlite3")


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Read settings from the environment; ``overrides`` (tests) win over both."""
    env = os.environ
    cfg = {
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL") or _default_database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "DEBUG": env.get("FLASK_DEBUG", "") in ("1", "true"),
        "TESTING": False,
        "WANJIA_ENV": env.get("WANJIA_ENV", "production"),
        # Stripe: the same calls locally (localstripe) and in production, another base URL.
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", "sk_test_local"),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", "pk_test_local"),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE", "http://127.0.0.1:8420"),
        "STRIPE_JS_URL": env.get("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/"),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", "whsec_local"),
        "STRIPE_PAYMENT_METHOD_TYPES": env.get("STRIPE_PAYMENT_METHOD_TYPES", "card").split(","),
        "MAIL_SERVER": env.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "8025")),
        "MAIL_SENDER": env.get("MAIL_SENDER", "noreply@wanjia.localhost"),
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": env.get("WANJIA_TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ["zh_Hans_CN", "en"],
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "WTF_CSRF_TIME_LIMIT": None,
    }
    cfg.update(overrides or {})
    local = cfg["DEBUG"] or cfg["TESTING"] or cfg["WANJIA_ENV"] == "development"
    cfg.setdefault("SESSION_COOKIE_SECURE", not local)
    if not local and cfg["SECRET_KEY"] == DEV_SECRET_KEY:
        raise ConfigError("Refusing to start with the development secret key: set SECRET_KEY.")
    return cfg
