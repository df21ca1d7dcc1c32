"""Version keys and ETags.

A version key is a short digest of exactly the data a response shows, read with one
lean query (no ORM objects, no rendering); the ETag adds what else changes the bytes:
the address and its query string, the language, and the code and templates that
render it (``code_version``, read once per process)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import g, request

from lms.extensions import db
from lms.i18n import current_locale

ROOT = Path(__file__).resolve().parents[2]
# What renders a response: a deployment that changes any of these changes every ETag.
RENDERING_SOURCES = ("lms", "translations")
RENDERING_SUFFIXES = {".py", ".html", ".txt", ".po", ".css", ".js", ".svg"}


def digest(*values: object) -> str:
    """A short stable digest of ``values`` (rows of a query, strings, numbers)."""
    return hashlib.blake2b(repr(values).encode(), digest_size=12).hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the platform's code, templates and catalogs, read once per process."""
    hasher = hashlib.blake2b(digest_size=8)
    for source in RENDERING_SOURCES:
        for path in sorted((ROOT / source).rglob("*")):
            if path.suffix in RENDERING_SUFFIXES and path.is_file():
                hasher.update(str(path.relative_to(ROOT)).encode())
                hasher.update(path.read_bytes())
    return hasher.hexdigest()


def strong_etag(version: str, *, signed_in: bool = False) -> str:
    """The ETag (without quotes) of this request's response when its data is at ``version``."""
    return digest(
        code_version(), request.host, request.path, request.query_string, current_locale(), signed_in, version
    )


def read_rows(statement, parameters: dict | None = None) -> list[tuple]:
    """The rows of a version query, through the request's connection without the ORM's
    result processing (a version is read on every request, a 304 included)."""
    return [tuple(row) for row in db.session.connection().execute(statement, parameters or {})]


def once_per_request(name: object, compute: Callable[[], Any]) -> Any:
    """``compute()`` once in this request: a version asked again (with fresh seats,
    before rendering) does not read the unchanged parts twice."""
    known = g.setdefault("known_versions", {})
    if name not in known:
        known[name] = compute()
    return known[name]
