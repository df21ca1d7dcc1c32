"""HTTP caching done once for every page that can use it.

- ``store``: the shared cache (Flask-Caching): in-process by default, Redis with
  ``LMS_CACHE_URL``; guests' public pages and rendered feeds live there.
- ``versions``: version keys (a digest of what a response shows) and strong ETags.
- ``conditional``: ``conditional(...)`` for feeds and the API, ``guest_page(...)`` for
  the public pages: a 304 answered before rendering, Cache-Control and Vary.
- ``memo``: the last shareable answer per request variant, given again without running
  the app while ``generation``s show its data unchanged (``invalidation`` changes them
  on every write that shows).
- ``compression``: gzip for clients that accept it.
- ``static``: static files addressed by their content hash, cached for a year.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.caching import compression, static, store

    store.init_app(app)
    static.init_app(app)
    compression.init_app(app)
    init_memo(app)


def init_memo(app: Flask) -> None:
    """The response memo in front of the app, and the engine's writes announced to it.
    ``GUEST_SEATS_SECONDS`` bounds how long an answer is trusted (0: no memo), and
    ``CACHE_TIMEOUT`` a timeless one."""
    from lms.caching.generation import generations_for
    from lms.caching.invalidation import watch
    from lms.caching.memo import ResponseMemo
    from lms.extensions import db

    generations = generations_for(app)
    with app.app_context():
        watch(db.engine, generations)
    app.extensions["lms.memo"] = ResponseMemo(
        app.wsgi_app,
        generations,
        lifetime=app.config.get("GUEST_SEATS_SECONDS", 5),
        lasting=app.config.get("CACHE_TIMEOUT", 300),
    )
    app.wsgi_app = app.extensions["lms.memo"]  # type: ignore[method-assign]


def announce_everything_changed() -> None:
    """The data may have changed where the engine did not see it (a backup restored
    under the running platform): no answer kept by the response memo is trusted any
    more, in any process of the machine (or machines, with Redis)."""
    from flask import current_app

    from lms.caching.generation import SCOPES
    from lms.caching.invalidation import announce

    announce(current_app.extensions["lms.memo"].generations, SCOPES)
