"""gzip for clients that accept it (pages are 20–33 KB of text; about a fifth gzipped).

Text responses of at least ``MINIMUM_BYTES`` are compressed; 304s, partial content,
streams and already encoded bodies never are. A strong ETag names one representation,
so the gzipped one gets its own tag (``…-gz``); since the same tag always means the same
bytes, the compressed bytes are remembered per tag (a cached guest page is not
compressed again for every guest)."""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict

from flask import Flask, Response, request

from lms.caching.conditional import GZIP_SUFFIX

MINIMUM_BYTES = 500
COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")
REMEMBERED_TAGS = 512


class CompressedByTag:
    """gzip bytes per strong ETag, the most recent ``REMEMBERED_TAGS`` of them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, tag: str) -> bytes | None:
        with self.lock:
            data = self.entries.get(tag)
            if data is not None:
                self.entries.move_to_end(tag)
            return data

    def put(self, tag: str, data: bytes) -> None:
        with self.lock:
            self.entries[tag] = data
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


compressed_by_tag = CompressedByTag(REMEMBERED_TAGS)


def is_compressible(response: Response) -> bool:
    return (response.mimetype or "").startswith(COMPRESSIBLE)


def add_vary(response: Response, header: str) -> None:
    if header.lower() not in {value.strip().lower() for value in response.vary}:
        response.vary.add(header)


def read_body(response: Response) -> bytes:
    """The body, read whole; a static file (sent as a stream of its own) is closed."""
    if not response.direct_passthrough:
        return response.get_data()
    stream = response.response
    try:
        return b"".join(stream)
    finally:
        stream.close()


def gzip_response(response: Response) -> Response:
    if not is_compressible(response) or response.status_code != 200:
        return response
    add_vary(response, "Accept-Encoding")  # whether or not this client gets gzip
    if "Content-Encoding" in response.headers or (response.is_streamed and not response.direct_passthrough):
        return response
    if "gzip" not in request.accept_encodings or request.method == "HEAD":
        return response
    tag, weak = response.get_etag()
    data = compressed_by_tag.get(tag) if tag and not weak else None
    if data is None:
        body = read_body(response)
        response.direct_passthrough = False
        if len(body) < MINIMUM_BYTES:
            response.set_data(body)
            return response
        data = gzip.compress(body, compresslevel=6, mtime=0)
        if tag and not weak:
            compressed_by_tag.put(tag, data)
    elif response.direct_passthrough:
        read_body(response)  # closes the static file
        response.direct_passthrough = False
    response.set_data(data)
    response.headers["Content-Encoding"] = "gzip"
    if tag:
        response.set_etag(tag + GZIP_SUFFIX, weak=weak)
    return response


def init_app(app: Flask) -> None:
    app.after_request(gzip_response)
