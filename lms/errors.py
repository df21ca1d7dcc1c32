"""Error pages in the reader's language (and JSON for the API)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from lms.extensions import db

ERRORS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page. If you think you should, sign in with the right account or contact the organisers.")),
    404: (_l("Page not found"), _l("We could not find this page. Check the address, or start again from the course catalogue.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way. Please use the buttons on the page.")),
    413: (_l("File too large"), _l("The file you sent is larger than we accept. Please choose a smaller file.")),
    429: (_l("Too many attempts"), _l("You have tried this too often. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened on our side and nothing was changed. Please try again in a moment; if it keeps happening, contact the organisers.")),
}  # fmt: skip


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def render_error(code: int, message: str | None = None):
    title, text = ERRORS.get(code, ERRORS[500])
    if wants_json():
        return jsonify(error=str(title), status=code), code
    return render_template("errors/error.html", code=code, title=title, text=message or text), code


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
        db.session.rollback()
        return render_error(500)


class ServiceError(Exception):
    """A rule said no. ``message`` is for the person (translatable), shown as is."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message
