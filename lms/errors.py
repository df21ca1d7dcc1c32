"""Error pages in the reader's language (and JSON for the API).

An error page is often shown because the database is down, unreachable or locked,
so rendering one never touches it: the page extends ``layout.html`` (no account menu,
no signed-in user), and its language comes from the request alone
(:func:`lms.i18n.request_locale`), never from the user's stored preference.

The 500 page tells the truth about the reader's last action: "nothing was changed"
only when the request's transaction was rolled back and nothing was committed while
the request ran (:func:`lms.db.committed_in_this_request`); otherwise it says the
action may have been saved and asks the reader to check before trying again.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape

from lms.db import committed_in_this_request
from lms.extensions import db
from lms.i18n import request_locale

log = logging.getLogger(__name__)

ERRORS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page. If you think you should, sign in with the right account or contact the organisers.")),
    404: (_l("Page not found"), _l("We could not find this page. Check the address, or start again from the course catalogue.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way. Please use the buttons on the page.")),
    413: (_l("File too large"), _l("The file you sent is larger than we accept. Please choose a smaller file.")),
    429: (_l("Too many attempts"), _l("You have tried this too often. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened on our side and nothing was changed. Please try again in a moment; if it keeps happening, contact the organisers.")),
}  # fmt: skip

MAYBE_SAVED = _l("An unexpected error happened on our side. Your last action may have been saved: please check before trying again (for example, reload My schedule). If it keeps happening, contact the organisers.")  # fmt: skip


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def render_error(code: int, message=None):
    """The error page (or JSON) for ``code``, in the request's language, without
    a database query."""
    title, text = ERRORS.get(code, ERRORS[500])
    locale = request_locale()
    with force_locale(locale):
        if wants_json():
            return jsonify(error=str(title), status=code), code
        try:
            page = render_without_database("errors/error.html", code=code, title=title, text=message or text)
        except Exception:
            # The error page itself failed: still answer, with the words alone.
            log.exception("The error page for %s could not be rendered", code)
            page = (
                f'<!doctype html><html lang="{escape(locale)}"><title>{escape(title)}</title>'
                f"<h1>{escape(title)}</h1><p>{escape(message or text)}</p></html>"
            )
        return page, code


def render_without_database(name: str, **context) -> str:
    """Render a template as render_template does, minus the context processors:
    Flask-Login's loads the signed-in user for ``current_user`` on every render, a
    database query. ``request``, ``session``, ``g``, ``url_for`` and the gettext
    functions are Jinja globals, so the templates have them still."""
    return current_app.jinja_env.get_template(name).render(context)


def roll_back() -> bool:
    """Roll back the request's transaction; False when even that failed (the
    database went away, or the session is in a state that cannot roll back)."""
    try:
        db.session.rollback()
    except Exception:
        log.exception("Rolling back after an error failed")
        return False
    return True


def register(app: Flask) -> None:
    for code in ERRORS:
        if code == 500:
            continue
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return render_error(
            400,
            _l("This form has expired or was not sent from our site, so nothing was saved. Please reload the page and submit it again."),
        )  # fmt: skip

    @app.errorhandler(500)
    def internal_error(error):
        # abort(500), and every unhandled exception once Flask does not propagate it
        # (PROPAGATE_EXCEPTIONS off, as in production).
        rolled_back = roll_back()
        if rolled_back and not committed_in_this_request():
            return render_error(500)  # "... nothing was changed ..."
        return render_error(500, MAYBE_SAVED)


class ServiceError(Exception):
    """A rule said no. ``message`` is for the person (translatable), shown as is."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message
