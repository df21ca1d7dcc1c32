"""Conditional GET: the version key is computed first, compared with If-None-Match,
and only a changed (or first) request renders.

``conditional(version, cache_control=...)`` serves feeds and the API, which send no
cookie. ``guest_page(version)`` serves the public pages: a guest's is answered from the
shared cache per address, language and version; a signed-in reader's is rendered live
and marked ``private, no-store`` (it shows their name, menu and registration)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Response, g, make_response, request, session
from flask_login import current_user

from lms.caching.store import cache
from lms.caching.versions import code_version, digest, strong_etag

GUEST_PAGE = "public, no-cache"  # anyone may keep it, but must ask (cheaply) before reuse
SIGNED_IN_PAGE = "private, no-store"
# The encoded variant's tag (compression.py): the same data, another representation.
GZIP_SUFFIX = "-gz"

VersionFunction = Callable[..., str | None]
# The environ key the response memo (memo.py) reads: this answer may be given again to
# the same variant of the request while the data of these scopes is unchanged.
MEMO_MARK = "lms.memo"
PUBLIC = ("public",)


def shareable(etag: str, scopes: tuple[str, ...], timeless: bool) -> None:
    """``timeless``: the answer changes only through writes the generations announce (no
    seats read late, nothing worded from the clock), so the memo may keep it longer."""
    request.environ[MEMO_MARK] = (etag, scopes, timeless)


def client_has(etag: str) -> bool:
    """True when If-None-Match names this version, in either encoding."""
    wanted = request.if_none_match
    return bool(wanted) and (wanted.star_tag or etag in wanted or etag + GZIP_SUFFIX in wanted)


def not_modified(etag: str, cache_control: str, vary: str) -> Response:
    """A 304: headers only. The tag sent back is the encoding the client will get."""
    response = Response(status=304)
    response.set_etag(etag + GZIP_SUFFIX if etag + GZIP_SUFFIX in request.if_none_match else etag)
    response.headers["Cache-Control"] = cache_control
    response.headers["Vary"] = vary
    return response


def finish(response: Response, etag: str | None, cache_control: str, vary: str) -> Response:
    if etag is not None and response.status_code == 200:
        response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    response.headers["Vary"] = vary
    return response


def conditional(
    version: VersionFunction,
    *,
    cache_control: str,
    vary: str = "Accept-Encoding",
    scopes: tuple[str, ...] = PUBLIC,
    timeless: bool = False,
) -> Callable:
    """Give the view an ETag from ``version(**view_args)`` and answer 304 without
    calling it when the client already holds that version. ``version`` returning None
    (no such object) lets the view answer as it does (a 404). ``scopes``: the data
    (generation.py) the answer shows, for the response memo (memo.py), and whether it is
    ``timeless`` (see ``shareable``)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(**kwargs):
            key = version(**kwargs)
            if key is None:
                return view(**kwargs)
            etag = strong_etag(key)
            shareable(etag, scopes, timeless)
            if client_has(etag):
                return not_modified(etag, cache_control, vary)
            g.response_etag = etag  # the view may keep what it renders under it
            return finish(make_response(view(**kwargs)), etag, cache_control, vary)

        return wrapper

    return decorate


def may_share() -> bool:
    """A guest without messages waiting: the page is the same for every such guest."""
    return not current_user.is_authenticated and not session.get("_flashes")


def guest_page(version: VersionFunction, *, headers: dict | None = None, timeless: bool = False) -> Callable:
    """Public pages: guests get an ETag, a 304 when unchanged, and otherwise the page
    from the shared cache (rendered once per address, language and version).

    ``version(fresh=…, **view_args)`` may read fast-changing parts (seats) from a
    short-lived cache; on a miss it is asked again with ``fresh=True`` so that the page
    rendered now is kept under the version it shows. ``headers`` go on every answer;
    ``timeless``: see ``shareable``."""
    vary = "Cookie, Accept-Language, Accept-Encoding"

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(**kwargs):
            response = answer(**kwargs)
            response.headers.update(headers or {})
            return response

        def answer(**kwargs) -> Response:
            if not may_share():
                return finish(make_response(view(**kwargs)), None, SIGNED_IN_PAGE, vary)
            key = version(fresh=False, **kwargs)
            if key is None:
                return finish(make_response(view(**kwargs)), None, GUEST_PAGE, vary)
            etag = strong_etag(key)
            if client_has(etag):
                shareable(etag, PUBLIC, timeless)
                return not_modified(etag, GUEST_PAGE, vary)
            body = cache.get(page_key(etag))
            if body is not None:
                shareable(etag, PUBLIC, timeless)
                return finish(html_response(body), etag, GUEST_PAGE, vary)
            etag = strong_etag(version(fresh=True, **kwargs) or key)
            shareable(etag, PUBLIC, timeless)
            return finish(cached_page(etag, view, kwargs), etag, GUEST_PAGE, vary)

        return wrapper

    return decorate


def html_response(body: bytes) -> Response:
    return Response(body, content_type="text/html; charset=utf-8")


def page_key(etag: str) -> str:
    return "page:" + etag


def cached_page(etag: str, view: Callable, kwargs: dict) -> Response:
    """The guest page of this version from the cache, else rendered and kept."""
    body = cache.get(page_key(etag))
    if body is not None:
        return html_response(body)
    response = make_response(view(**kwargs))
    # Kept only when nothing of this visitor's went into it: a form's CSRF token
    # (Flask-WTF keeps it on g) would be theirs, and only a complete 200 is the page.
    if response.status_code == 200 and "csrf_token" not in g and not response.is_streamed:
        cache.set(page_key(etag), response.get_data())
    return response


def personal_key(owner: int, version: str) -> str:
    """A key for one person's rendered data (their feed): never found by anyone else's
    request, since the owner's id comes from their secret address, not from the request."""
    return "own:" + digest(code_version(), owner, version)
