"""Generations: tokens that change whenever data of one scope changes, anywhere.

The response memo (``memo.py``) trusts an answer it gave only while the generations of
the data behind it are unchanged. Two scopes:

- ``public``: what guests' pages, the course calendar and the API show (editions,
  modules, runs, trainers, materials, quizzes, certificates…);
- ``personal``: what a personal calendar feed adds to that (registrations, choices).

A generation is read on every memo lookup, so it must cost microseconds and no query:

- one machine (the default): a file per scope in the instance folder, replaced (never
  rewritten in place) by a fresh random token on every change, so every process of the
  machine sees it at once;
- several machines (``LMS_CACHE_URL`` is Redis): a counter per scope in Redis.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

SCOPES = ("public", "personal")


class FileGenerations:
    """Generations in files of the instance folder: one machine, any number of processes."""

    def __init__(self, folder: str | Path) -> None:
        self.paths = {scope: Path(folder) / f"generation-{scope}" for scope in SCOPES}
        for scope in SCOPES:
            if not self.paths[scope].exists():
                self.bump((scope,))

    def current(self, scopes: tuple[str, ...]) -> tuple:
        try:
            return tuple(self.paths[scope].read_bytes() for scope in scopes)
        except OSError:
            return (secrets.token_bytes(8),)  # unreadable: a token nothing was stored under

    def bump(self, scopes) -> None:
        for scope in scopes:
            path = self.paths[scope]
            # A new file put in place atomically: a reader sees the old token or the new one.
            fresh = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fresh.write_bytes(secrets.token_bytes(16))
            os.replace(fresh, path)


class RedisGenerations:
    """Generations as Redis counters: every machine sharing the cache shares them."""

    def __init__(self, client, prefix: str) -> None:
        self.client = client
        self.keys = {scope: f"{prefix}generation:{scope}" for scope in SCOPES}

    def current(self, scopes: tuple[str, ...]) -> tuple:
        try:
            return tuple(self.client.mget([self.keys[scope] for scope in scopes]))
        except Exception:  # Redis unreachable: nothing is trusted
            return (secrets.token_bytes(8),)

    def bump(self, scopes) -> None:
        pipeline = self.client.pipeline()
        for scope in scopes:
            pipeline.incr(self.keys[scope])
        pipeline.execute()


def generations_for(app: Flask):
    """The app's generations: Redis when its cache is, else files of its instance folder."""
    from lms.caching.store import KEY_PREFIX, uses_redis

    url = app.config.get("CACHE_URL")
    if uses_redis(url):
        import redis

        return RedisGenerations(redis.Redis.from_url(url, socket_timeout=2), KEY_PREFIX)
    return FileGenerations(app.instance_path)
