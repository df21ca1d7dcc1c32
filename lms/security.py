"""Security headers on every response, and trusting a reverse proxy when told to.

The pages need no inline script or style (templates load ``static/`` files only), so
the Content-Security-Policy can forbid both: an injected ``<script>`` or ``onclick``
does nothing even if some escaping were ever missed.
"""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Features the platform never uses; a page (or something injected into it) cannot ask
# for them. Only names Chromium knows: an unknown one is logged as a console error.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Secret tokens live in some paths (password reset, personal calendar feed): other
    # sites get only our origin, never a path; our own pages keep full referrers.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors, for browsers that predate it
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def add_security_headers(response: Response) -> Response:
    """Set the headers a view did not set itself (a view may choose stricter ones)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        # Only over HTTPS: a browser ignores it over HTTP, and sending it from a
        # development server on http://127.0.0.1 would only confuse.
        max_age = current_app.config["HSTS_MAX_AGE"]
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    return response


def refuse_nul_characters() -> None:
    """No person types a NUL character, and PostgreSQL cannot store one in text: a
    request carrying one in its address, query or form is refused as a whole (400)
    before any view reads it, rather than failing half-way (or, on SQLite, being saved)."""
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        texts += [*request.form.keys(), *request.form.values()]
        texts += [upload.filename or "" for upload in request.files.values()]
    if any("\x00" in text for text in texts):
        abort(400)


def init_app(app: Flask) -> None:
    proxies = app.config.get("PROXY_FIX", 0)
    if proxies:
        # Behind nginx or a load balancer: believe its X-Forwarded-For/-Proto/-Host,
        # and only from that many hops, so request.is_secure, url_for and the sign-in
        # throttle see the real scheme and client address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
