"""Absolute links for emails and calendars, built from ``BASE_URL``.

They are built the same way inside and outside a request (CLI commands such as
reminders send email too), and never from the request's Host header, which a client
controls.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, base_url: str | None = None, **values) -> str:
    base = urlsplit(base_url or current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
