"""The response memo: answers the platform has just given, given again without running it.

A guest revalidating the course page, a calendar app polling a feed: the answer is the
same as a moment ago unless the data behind it changed. The memo sits in front of the
whole Flask app (a WSGI middleware) and keeps, per *variant* (the address and every
request header the answer varies by: Cookie, Accept-Language, Accept-Encoding, host
and scheme), the last answer the app marked as shareable (``conditional.py``: guests'
public pages, feeds, the API) for at most ``GUEST_SEATS_SECONDS`` (``CACHE_TIMEOUT`` for
the answers that read no seats and word nothing from the clock). It answers from it
only while the generations of the data behind it (``generation.py``) are unchanged:
any write that shows there changes them (``invalidation.py``), in every process.

So a repeated question costs a dictionary lookup and reading a generation, with no
session, locale, query or template; what may be older than the request is only what
guests are told may be (seats, a countdown: the README, "Caching and HTTP").

Never kept: an answer that sets a cookie, one not marked by the app (every signed-in
page), anything other than a 200 or 304 to a GET, and bodies over ``MAX_BODY`` bytes.
A 304 is answered when If-None-Match names the kept tag; a 200 is replayed when the
kept answer is one. The memo is per process and bounded (``MAX_ENTRIES`` answers,
``MAX_BYTES`` of bodies; the oldest kept go first).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from werkzeug.http import parse_etags, quote_etag

from lms.caching.conditional import GZIP_SUFFIX, MEMO_MARK
from lms.caching.generation import SCOPES

MAX_ENTRIES = 4096
MAX_BODY = 256 * 1024
MAX_BYTES = 32 * 1024 * 1024
VARIES_BY = (
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_COOKIE",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_PREFIX",
)
NOT_ON_304 = {"content-type", "content-length", "content-encoding"}


def variant_of(environ: dict) -> tuple:
    return tuple(environ.get(name) for name in VARIES_BY)


@dataclass(frozen=True)
class Kept:
    tag: str  # the strong tag of the identity representation (conditional.strong_etag)
    scopes: tuple[str, ...]
    generation: tuple
    expires: float
    headers: list[tuple[str, str]]  # of the 304 answer
    status: str | None = None  # of a 200 kept whole, with its headers and body
    full_headers: list[tuple[str, str]] | None = None
    body: bytes | None = None

    def answer(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes] | None:
        wanted = environ.get("HTTP_IF_NONE_MATCH")
        if wanted:
            tags = parse_etags(wanted)
            gzipped = self.tag + GZIP_SUFFIX
            if tags.star_tag or self.tag in tags or gzipped in tags:
                tag = gzipped if gzipped in tags else self.tag
                return "304 NOT MODIFIED", [*self.headers, ("ETag", quote_etag(tag))], b""
        if self.body is None:
            return None
        return self.status, self.full_headers, b"" if environ["REQUEST_METHOD"] == "HEAD" else self.body


class ResponseMemo:
    def __init__(
        self,
        app: Callable,
        generations,
        lifetime: float,
        lasting: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        """``lifetime``: how long an answer is trusted (0: the memo is off); ``lasting``:
        how long a timeless one is (conditional.shareable)."""
        self.app = app
        self.generations = generations
        self.lifetime = lifetime
        self.lasting = max(lasting, lifetime)
        self.clock = clock
        self.kept: dict[tuple, Kept] = {}
        self.max_entries, self.max_bytes = MAX_ENTRIES, MAX_BYTES
        self.bytes = 0  # of the bodies kept
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.lifetime <= 0 or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        variant = variant_of(environ)
        kept = self.kept.get(variant)
        if kept is not None and self.still_true(kept):
            answer = kept.answer(environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self.ask_app(variant, environ, start_response)

    def still_true(self, kept: Kept) -> bool:
        return self.clock() < kept.expires and self.generations.current(kept.scopes) == kept.generation

    def ask_app(self, variant: tuple, environ: dict, start_response: Callable) -> Iterable[bytes]:
        # Read before the app reads the data: a change while it runs leaves what it
        # answers under the older generation, so it is not trusted afterwards.
        started = self.clock()
        before = dict(zip(SCOPES, self.generations.current(SCOPES), strict=False))
        seen: dict = {}

        def remember_start(status: str, headers: list, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.app(environ, remember_start)
        mark = environ.get(MEMO_MARK)  # (tag, scopes, timeless): conditional.shareable
        if mark is None or not self.keepable(environ, seen):
            return result
        tag, scopes, timeless = mark
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        if len(body) <= MAX_BODY:
            generation = tuple(before.get(scope) for scope in scopes)
            expires = started + (self.lasting if timeless else self.lifetime)
            self.keep(variant, self.kept_answer(tag, scopes, generation, expires, seen, body))
        return [body]

    @staticmethod
    def keepable(environ: dict, seen: dict) -> bool:
        status, headers = seen.get("status", ""), seen.get("headers", [])
        return (
            environ["REQUEST_METHOD"] == "GET"
            and status[:3] in ("200", "304")
            and not any(name.lower() == "set-cookie" for name, _ in headers)
        )

    @staticmethod
    def kept_answer(tag, scopes, generation, expires, seen, body) -> Kept:
        headers = [
            (name, value) for name, value in seen["headers"] if name.lower() not in NOT_ON_304 | {"etag"}
        ]
        if seen["status"].startswith("304"):
            return Kept(tag, scopes, generation, expires, headers)
        return Kept(tag, scopes, generation, expires, headers, seen["status"], list(seen["headers"]), body)

    def keep(self, variant: tuple, kept: Kept) -> None:
        with self.lock:
            self.drop(variant)
            self.kept[variant] = kept
            self.bytes += len(kept.body or b"")
            while len(self.kept) > self.max_entries or self.bytes > self.max_bytes:
                self.drop(next(iter(self.kept)))

    def drop(self, variant: tuple) -> None:
        gone = self.kept.pop(variant, None)
        if gone is not None:
            self.bytes -= len(gone.body or b"")

    def forget(self) -> None:
        with self.lock:
            self.kept.clear()
            self.bytes = 0
