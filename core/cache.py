"""Short-lived shared figures and HTTP cache headers for the public pages (issue #9).

On a giving day thousands of people reload a drive's page while thousands of gifts are
booked each minute. Counting raised, donors, matches and homes for every reader would put
the same aggregate queries behind every request, so a public figure is computed at most
once per ``PUBLIC_CACHE_SECONDS`` (default 5; 0 switches caching off, which is the default
under ``TESTING``) and shared by every reader: within one worker with Flask-Caching's
SimpleCache, across workers and machines with Redis or memcached, set from the environment:

    CACHE_TYPE=RedisCache CACHE_REDIS_URL=redis://10.0.0.5:6379/0      (pip install redis)
    CACHE_TYPE=MemcachedCache CACHE_MEMCACHED_SERVERS=10.0.0.5:11211  (pip install pymemcache)

What is kept: the figures (:func:`cached_many`), and whole public pages and JSON built from
them (:func:`shared_page`), each for ``PUBLIC_CACHE_SECONDS``; so a figure on a page is at
most twice that old (10 s by default). No page says "updated every few seconds": a lag that
short goes unnoticed, and such a note would make donors doubt that their gift counted.

Only what anybody may see goes through here. What a donor reads about their own gift
(thank-you page, receipt, donor pages) is always read from the database, so that a donor
sees their gift at once even while the drive's totals lag.

HTTP: the progress JSON is ``public`` for ``PUBLIC_CACHE_SECONDS`` with an ETag
(:func:`public_json`). The pages are ``private`` (:func:`private_page`): each carries the
visitor's own CSRF token (``base.html``'s meta tag, which fetch() calls and the tests read)
and sets their session cookie, so only the visitor's own browser may keep one.
"""
import hashlib
import hmac
import os

from flask import current_app, g, request, session
from flask_caching import Cache
from flask_login import current_user
from flask_wtf.csrf import generate_csrf


cache = Cache()

#: Flask-Caching settings the environment may give (production: a shared cache server).
ENV_SETTINGS = ("CACHE_TYPE", "CACHE_REDIS_URL", "CACHE_MEMCACHED_SERVERS", "CACHE_KEY_PREFIX")


def init_app(app) -> None:
    """Bind the cache; the app's own config (tests) wins over the environment."""
    # The environment's PUBLIC_CACHE_SECONDS is read with the other tunables (core.config).
    seconds = app.config.setdefault("PUBLIC_CACHE_SECONDS", 0 if app.config.get("TESTING") else 5)
    app.config["PUBLIC_CACHE_SECONDS"] = max(int(seconds), 0)
    for name in ENV_SETTINGS:
        if os.environ.get(name):
            app.config.setdefault(name, os.environ[name])
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.config.setdefault("CACHE_KEY_PREFIX", "wanjia:")
    app.config.setdefault("CACHE_THRESHOLD", 1000)  # per worker: figures, and pages of ~30 KB
    cache.init_app(app)


def public_seconds() -> int:
    """How long a public figure may be reused (0: never)."""
    return current_app.config.get("PUBLIC_CACHE_SECONDS", 0)


def cached_many(prefix: str, ids, compute) -> dict:
    """``{id: value}`` for ``ids``: fresh values from the cache, the others from one call
    of ``compute(missing_ids) -> {id: value}``, then kept for :func:`public_seconds`."""
    seconds = public_seconds()
    if seconds <= 0:
        return compute(list(ids))
    keys = [f"{prefix}:{i}" for i in ids]
    found = {i: value for i, value in zip(ids, cache.get_many(*keys)) if value is not None}
    missing = [i for i in ids if i not in found]
    if missing:
        fresh = compute(missing)
        cache.set_many({f"{prefix}:{i}": value for i, value in fresh.items()}, timeout=seconds)
        found.update(fresh)
    return found


def shared_page(render) -> str:
    """A public page for anonymous visitors: ``render(**context)`` once per
    ``PUBLIC_CACHE_SECONDS`` per address, language and set of cookies, shared by them all.

    The visitor's CSRF token is the one per-visitor part of such a page (``base.html``'s
    meta tag): the page is rendered with a placeholder in its place, swapped for each
    visitor's own token on the way out. A page whose rendering asked for anything else of
    the visitor's (a real token through a macro without context, a CSP nonce) is not kept;
    neither is any page for a signed-in user or one showing flashed messages.
    """
    seconds = public_seconds()
    if seconds <= 0 or current_user.is_authenticated or session.get("_flashes"):
        return render()
    key, hole = f"page:{_page_key()}", _token_hole()
    html = cache.get(key)
    if html is None:
        html = render(csrf_token=lambda: hole)
        if "csrf_token" in g or "csp_nonce" in g:
            return html.replace(hole, generate_csrf())
        cache.set(key, html, timeout=seconds)
    return html.replace(hole, generate_csrf())


#: Session keys that say nothing about what a page shows: Flask-WTF's raw token and
#: Flask-Login's marks, which an anonymous visitor's session gains after the first page.
SESSION_BOOKKEEPING = frozenset({"csrf_token", "_fresh", "_id", "_permanent"})


def _page_key() -> str:
    """What a shared page may differ by: address, language, cookies, session (no token)."""
    from flask_babel import get_locale

    cookie = current_app.config.get("SESSION_COOKIE_NAME", "session")
    parts = (request.host_url, request.full_path, str(get_locale()),
             sorted((k, v) for k, v in request.cookies.items() if k != cookie),
             sorted((k, repr(v)) for k, v in session.items() if k not in SESSION_BOOKKEEPING))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _token_hole() -> str:
    """The CSRF token's placeholder: the same in every worker, guessed by nobody."""
    digest = hmac.new(current_app.secret_key.encode(), b"csrf-token-hole", hashlib.sha256)
    return "csrf-hole-" + digest.hexdigest()[:24]


def public_json(response):
    """Any client or shared cache may reuse ``response`` for :func:`public_seconds`; an
    ``ETag`` lets it revalidate cheaply after that (304 Not Modified)."""
    response.cache_control.public = True
    _fresh_for(response, public_seconds())
    response.add_etag()
    return response.make_conditional(request)


def private_page(response):
    """Only the visitor's own browser may reuse a public page, and only when anonymous.

    Every page carries the visitor's CSRF token (``base.html``) and sets their session
    cookie, so no shared cache may store it; a signed-in user's page is revalidated. It
    varies by cookie: the language and the large-text switch are cookies, and a browser
    must not show the page it kept from before the visitor changed them.
    """
    response.cache_control.private = True
    response.vary.add("Cookie")
    return _fresh_for(response, 0 if current_user.is_authenticated else public_seconds())


def _fresh_for(response, seconds: int):
    if seconds > 0:
        response.cache_control.max_age = seconds
    else:
        response.cache_control.no_cache = True
    return response
