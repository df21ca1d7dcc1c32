"""The cache: Flask-Caching's in-process SimpleCache by default, Redis when
``CACHE_URL`` (``LMS_CACHE_URL``) is a ``redis://`` address, so that every worker and
machine shares one.

Only what may be shown to anyone with the address is kept here: guests' public pages,
version digests of public data, and a personal feed's rendered calendar under a key
made of its owner's id and the feed's version (never looked up for anyone else)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_caching import Cache

cache = Cache()
KEY_PREFIX = "lms:"


def uses_redis(url: str | None) -> bool:
    return bool(url) and url.startswith(("redis://", "rediss://", "unix://"))


def settings(url: str | None, timeout: int) -> dict:
    """Flask-Caching's settings for ``url`` (empty: in-process)."""
    common = {"CACHE_DEFAULT_TIMEOUT": timeout, "CACHE_KEY_PREFIX": KEY_PREFIX}
    if uses_redis(url):
        return common | {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url}
    # Bounded: a flood of distinct addresses (?x=1, ?x=2, …) cannot grow it for ever.
    return common | {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 500}


def init_app(app: Flask) -> None:
    cache.init_app(app, config=settings(app.config.get("CACHE_URL"), app.config.get("CACHE_TIMEOUT", 300)))


def remembered(key: str, compute: Callable[[], Any], seconds: float) -> Any:
    """``compute()``, kept for ``seconds`` (0: not kept, computed every time)."""
    if seconds <= 0:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=max(int(seconds), 1))
    return value
