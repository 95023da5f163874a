"""Configuration from the environment, with safe local defaults."""
import os
from datetime import timedelta
from pathlib import Path

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused outside debug/testing


class ConfigError(SystemExit):
    """The environment does not allow the app to start safely.

    A SystemExit, so that ``flask`` and ``gunicorn`` stop with its one-line message (exit
    status 1) instead of a traceback; tests catch it like any exception class.
    """


def _default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "wanjia.sqlite3")


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL") or _default_database_url(instance_path)
    # psycopg 3 is the driver installed; plain postgres:// URLs (as hosts hand them out) mean it.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _app_settings(env, instance_path: str) -> dict:
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or DEV_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "DEBUG": env.get("FLASK_DEBUG", "") in ("1", "true"),
        "TESTING": False,
        "WANJIA_ENV": env.get("WANJIA_ENV", "production"),
        "MAIL_SERVER": env.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "8025")),
        "MAIL_SENDER": env.get("MAIL_SENDER", "noreply@wanjia.localhost"),
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": env.get("WANJIA_TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ["zh_Hans_CN", "en"],
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    }


def _stripe_settings(env) -> dict:
    # The same calls locally (localstripe) and in production, another base URL.
    return {
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", "sk_test_local"),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", "pk_test_local"),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE", "http://127.0.0.1:8420"),
        "STRIPE_JS_URL": env.get("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/"),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", "whsec_local"),
        "STRIPE_PAYMENT_METHOD_TYPES": env.get("STRIPE_PAYMENT_METHOD_TYPES", "card").split(","),
        "STRIPE_MAX_NETWORK_RETRIES": int(env.get("STRIPE_MAX_NETWORK_RETRIES", "2")),
        #: What "I'll cover the fee" adds: basis points of the gift plus a fixed part (fen).
        "STRIPE_FEE_BPS": int(env.get("STRIPE_FEE_BPS", "60")),
        "STRIPE_FEE_FIXED_FEN": int(env.get("STRIPE_FEE_FIXED_FEN", "0")),
    }


def _giving_settings(env) -> dict:
    # Card-testing defence on the public donate form.
    return {
        "DONATE_RATE_LIMIT_IP": env.get("DONATE_RATE_LIMIT_IP", "20 per minute;200 per hour"),
        "DONATE_RATE_LIMIT_EMAIL": env.get("DONATE_RATE_LIMIT_EMAIL", "5 per minute;30 per hour"),
        "DONATE_FAILED_PAYMENT_LIMIT": int(env.get("DONATE_FAILED_PAYMENT_LIMIT", "5")),
        "DONATE_FAILED_PAYMENT_WINDOW_MINUTES": int(
            env.get("DONATE_FAILED_PAYMENT_WINDOW_MINUTES", "60")),
        #: Where links in emails point (the sweep and the outbox run without a request).
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        #: Household personal data: dedupe-hash key and Fernet key (see campaigns/homes/pii.py).
        "WANJIA_PII_HASH_KEY": env.get("WANJIA_PII_HASH_KEY", ""),
        "WANJIA_PII_KEY": env.get("WANJIA_PII_KEY", ""),
    }


#: Transaction isolation levels DB_ISOLATION may name (PostgreSQL; SQLite has one writer).
ISOLATION_LEVELS = ("read committed", "repeatable read", "serializable")


def _gift_path_settings(env) -> dict:
    # Giving-day scale (donate/inbox.py, core/retry.py).
    return {
        #: Look up each gift's processor fee and card at Stripe when booking it (one API call
        #: per gift). Off at a giving-day peak: gifts are booked gross from the event alone and
        #: Stripe reconciliation posts the fees (finance/stripe_recon.py).
        "BOOK_FEES_AT_SUCCESS": env.get("WANJIA_BOOK_FEES_AT_SUCCESS", "1").lower()
        not in ("0", "false", "no", "off"),
        #: "read committed", or "serializable" as a distributed SQL engine runs (PostgreSQL only).
        "DB_ISOLATION": env.get("WANJIA_DB_ISOLATION", "read committed").lower(),
    }


def _apply_isolation(cfg: dict) -> None:
    level = str(cfg.get("DB_ISOLATION") or "read committed").lower()
    if level not in ISOLATION_LEVELS:
        raise ConfigError(f"DB_ISOLATION must be one of {', '.join(ISOLATION_LEVELS)}, not {level!r}.")
    cfg["DB_ISOLATION"] = level
    # Read committed is PostgreSQL's own default: nothing to set.
    if level != "read committed" and cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {**cfg.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                                            "isolation_level": level.upper()}


def _security_settings(env) -> dict:
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        #: Staff sessions end after this long, whatever the browser does.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(env.get("WANJIA_SESSION_HOURS", "8"))),
        "WTF_CSRF_TIME_LIMIT": None,
        #: Reverse proxies in front of the app whose X-Forwarded-* headers are believed.
        "TRUSTED_PROXIES": int(env.get("WANJIA_TRUSTED_PROXIES", "0")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        #: POSTs to /login per client address; the lock-out covers slow guessing per account.
        "LOGIN_RATE_LIMIT": env.get("WANJIA_LOGIN_RATE_LIMIT", "10 per minute"),
    }


#: Settings whose defaults live next to the code that reads them (``config.get(name, default)``);
#: the environment may override them. Numbers are whole numbers (fen, days, basis points).
TUNABLE_INTS = (
    "BANK_MATCH_WINDOW_DAYS", "FINANCE_HELD_MATCH_DAYS",
    "CHARITY_MIN_SPENDING_BPS", "CHARITY_MAX_ADMIN_BPS", "CHARITY_ADMIN_EXEMPT_FEN",
    "RECURRING_MIN_FEN", "RECURRING_MAX_FAILURES",
    "DONOR_LINK_MINUTES", "DONOR_SESSION_MINUTES", "DONOR_CARD_LINK_DAYS",
    "MATCHING_BURST_GIFTS", "MATCHING_BURST_MINUTES", "MATCHING_NEAR_MIN_GIFTS",
    "MATCHING_NEAR_MIN_PCT", "WEBHOOK_BATCH", "WEBHOOK_MAX_ATTEMPTS", "PUBLIC_CACHE_SECONDS",
)
TUNABLE_STRINGS = (
    "DONOR_RATE_LIMIT_IP", "DONOR_RATE_LIMIT_EMAIL", "MATCH_PREVIEW_RATE_LIMIT",
    "TEAMS_RATE_LIMIT", "STATEMENT_FONT",
)


def _tunable_settings(env) -> dict:
    cfg = {name: env[name] for name in TUNABLE_STRINGS if env.get(name)}
    for name in TUNABLE_INTS:
        if env.get(name):
            try:
                cfg[name] = int(env[name])
            except ValueError:
                raise ConfigError(f"{name} must be a whole number, not {env[name]!r}.") from None
    return cfg


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Read settings from the environment; ``overrides`` (tests) win over both.

    Raises :class:`ConfigError` where the result would be unsafe to serve.
    """
    env = os.environ
    cfg = {**_app_settings(env, instance_path), **_stripe_settings(env), **_giving_settings(env),
           **_security_settings(env), **_gift_path_settings(env), **_tunable_settings(env)}
    cfg.update(overrides or {})
    _apply_isolation(cfg)
    local = cfg["DEBUG"] or cfg["TESTING"] or cfg["WANJIA_ENV"] == "development"
    cfg.setdefault("SESSION_COOKIE_SECURE", not local)
    if not local and cfg["SECRET_KEY"] == DEV_SECRET_KEY:
        raise ConfigError(
            "Refusing to start with the development secret key: set the SECRET_KEY environment "
            "variable (or WANJIA_ENV=development on your own machine)."
        )
    return cfg
