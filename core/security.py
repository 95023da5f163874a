"""Security headers on every response, with a per-request CSP nonce for our own scripts."""
import secrets
from urllib.parse import urlsplit

from flask import current_app, g
from werkzeug.middleware.proxy_fix import ProxyFix


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy() -> str:
    stripe_js = _origin(current_app.config.get("STRIPE_JS_URL", ""))
    stripe_api = _origin(current_app.config.get("STRIPE_API_BASE", ""))
    stripe = " ".join(sorted({o for o in (stripe_js, stripe_api) if o}))
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{csp_nonce()}' {stripe}".strip(),
        "style-src 'self'",
        "img-src 'self' data:",
        f"connect-src 'self' {stripe}".strip(),
        f"frame-src 'self' {stripe}".strip(),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _add_headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        # Served over HTTPS only (production): browsers must not fall back to plain HTTP.
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def _fresh_request_globals():
    """Start every request with an empty ``g``.

    Flask reuses an app context that is already pushed (tests, scripts that call the app),
    and with it ``g``, where Flask-Login keeps the current user, Flask-Babel the locale,
    Flask-WTF the CSRF token and we the CSP nonce. Left over, one client's login or token
    would leak into the next request; in production each request has its own context anyway.
    """
    for name in list(g):
        g.pop(name)


def _trust_proxies(app) -> None:
    """Behind a reverse proxy, take the client's address and scheme from the headers it sets,
    so that rate limits count clients (not the proxy) and HTTPS is recognised."""
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def init_app(app) -> None:
    _trust_proxies(app)
    # First of all before_request functions, before CSRF, rate limits and access checks read g.
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_globals)
    app.after_request(_add_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
