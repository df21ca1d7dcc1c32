"""HTTP caching done once for every page that can use it.

- ``store``: the shared cache (Flask-Caching): in-process by default, Redis with
  ``LMS_CACHE_URL``; guests' public pages and rendered feeds live there.
- ``versions``: version keys (a digest of what a response shows) and strong ETags.
- ``conditional``: ``conditional(...)`` for feeds and the API, ``guest_page(...)`` for
  the public pages: a 304 answered before rendering, Cache-Control and Vary.
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
