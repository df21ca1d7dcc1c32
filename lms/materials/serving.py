"""Sending a stored file (a material's version, a recording): its type, its original
name for every browser, revalidation by its SHA-256 and byte ranges (a video player
asks for parts). One home, so a file reached from any page behaves the same."""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime
from urllib.parse import quote

from flask import abort, current_app, request
from werkzeug.http import dump_options_header
from werkzeug.wsgi import wrap_file

from lms.materials import filetypes
from lms.materials.storage import get_storage

log = logging.getLogger(__name__)


def stored_file_response(*, storage_key: str, content_type: str, filename: str, size: int, sha256: str,
                         last_modified: datetime | None = None):  # fmt: skip
    """The file as a conditional, range-capable response; 404 if storage lost it."""
    try:
        handle = get_storage().open(storage_key)
    except FileNotFoundError:
        log.error("stored file missing: %s (%s)", storage_key, filename)
        abort(404)
    file_type = filetypes.by_mimetype(content_type)
    response = current_app.response_class(
        wrap_file(request.environ, handle), mimetype=content_type, direct_passthrough=True
    )
    response.content_length = size
    response.headers["Content-Disposition"] = content_disposition(
        filename, inline=bool(file_type and file_type.inline)
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    if last_modified is not None:
        response.last_modified = last_modified
    response.set_etag(sha256)
    response.cache_control.private = True
    response.cache_control.no_cache = True  # check with us each time: a replaced file has new bytes
    return response.make_conditional(request.environ, accept_ranges=True, complete_length=size)


def content_disposition(filename: str, inline: bool) -> str:
    """``inline``/``attachment`` with the original name for every browser (RFC 6266/5987):
    a plain-ASCII ``filename`` for old clients and the exact UTF-8 ``filename*``."""
    kind = "inline" if inline else "attachment"
    fallback = ascii_filename(filename)
    if fallback == filename:
        return dump_options_header(kind, {"filename": filename})
    quoted = quote(filename, safe="!#$&+-.^_`|~")
    return dump_options_header(kind, {"filename": fallback, "filename*": f"UTF-8''{quoted}"})


def ascii_filename(filename: str) -> str:
    """ "Tài liệu Đà Nẵng.pdf" -> "Tai lieu Da Nang.pdf" (đ has no decomposition, so by hand)."""
    text = filename.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = "".join(ch for ch in text if ch.isprintable() and ch not in '"\\')
    stem, dot, extension = text.rpartition(".")
    return text if stem.strip() else f"material{dot}{extension}"
