"""Static files addressed by their content: ``url_for('static', filename=…)`` adds
``?v=<hash of the file>``, and a request carrying the current hash is cached for a
year (``immutable``): a new file is a new address, so no one keeps an old stylesheet."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, request

LONG_LIVED = "public, max-age=31536000, immutable"


@lru_cache(maxsize=256)
def content_hash(folder: str, filename: str) -> str | None:
    """The file's hash, read once per process (files change only with a deployment)."""
    path = Path(folder, filename).resolve()
    if not path.is_relative_to(Path(folder).resolve()) or not path.is_file():
        return None
    return hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()


def add_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = content_hash(current_app.static_folder, values["filename"])
        if version:
            values["v"] = version


def cache_versioned(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    if request.args.get("v") and request.args.get("v") == content_hash(current_app.static_folder, filename):
        response.headers["Cache-Control"] = LONG_LIVED
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(add_version)
    app.after_request(cache_versioned)
