"""Security headers on every response, with a per-request CSP nonce for our own scripts."""
import secrets
from urllib.parse import urlsplit

from flask import current_app, g


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
    return response


def init_app(app) -> None:
    app.after_request(_add_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
