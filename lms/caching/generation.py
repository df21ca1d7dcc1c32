"""Generations: tokens that change whenever data of one scope changes, anywhere.

The response memo (``memo.py``) trusts an answer it gave only while the generations of
the data behind it are unchanged. Two scopes:

- ``public``: what guests' pages, the course calendar and the API show (editions,
  modules, runs, trainers, materials, quizzes, certificates…);
- ``personal``: what a personal calendar feed adds to that (registrations, choices).

A generation is read on every memo lookup, so it must cost microseconds and no query:

- one machine (the default): a small file in the instance folder mapped into every
  process's memory, a random token per scope written on every change, so every process
  of the machine sees it at once;
- several machines (``LMS_CACHE_URL`` is Redis): a counter per scope in Redis.
"""

from __future__ import annotations

import mmap
import os
import secrets
from pathlib import Path

from flask import Flask

SCOPES = ("public", "personal")


class FileGenerations:
    """Generations in one small file of the instance folder, mapped into memory: one
    machine, any number of processes.

    A change writes a fresh random token into the scope's slot; nothing is locked. A
    reader racing a writer can only see a token stored under no answer (a miss), and
    two writers leave one of their tokens: either way not the token before, so a change
    is never missed. Reading is a slice of shared memory (no system call)."""

    SLOT = 16

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / "generations"
        self.slots = {scope: index * self.SLOT for index, scope in enumerate(SCOPES)}
        self.mapped: tuple[int, mmap.mmap] | None = None  # (the process it was mapped in, the map)

    def memory(self) -> mmap.mmap:
        # Mapped in each process (gunicorn forks workers after the app is made).
        if self.mapped is None or self.mapped[0] != os.getpid():
            size = self.SLOT * len(SCOPES)
            with open(self.path, "a+b") as file:
                if os.fstat(file.fileno()).st_size < size:
                    file.truncate(size)
                    file.flush()
                self.mapped = (os.getpid(), mmap.mmap(file.fileno(), size))
        return self.mapped[1]

    def current(self, scopes: tuple[str, ...]) -> tuple:
        try:
            memory = self.memory()
        except OSError:
            return (secrets.token_bytes(8),)  # unreadable: a token nothing was stored under
        return tuple(memory[self.slots[scope] : self.slots[scope] + self.SLOT] for scope in scopes)

    def bump(self, scopes) -> None:
        memory = self.memory()
        for scope in scopes:
            memory[self.slots[scope] : self.slots[scope] + self.SLOT] = secrets.token_bytes(self.SLOT)


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
