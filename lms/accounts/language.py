"""The reader's choice of language, remembered for the next pages."""

from __future__ import annotations

from flask import session
from flask_login import current_user

from lms.i18n import requested_locale
from lms.transactions import commit_change


def remember_requested_locale() -> None:
    """Keep a ``?lang=`` choice for the next pages (before_request hook).

    For a signed-in user the choice also becomes their preference, because the
    preference outranks the session: otherwise the switch would not stick. This is a
    GET that writes, which we allow for the reader's own display language only: it is
    idempotent, and SameSite=Lax keeps other sites' embedded requests from doing it.
    """
    chosen = requested_locale()
    if not chosen:
        return
    session["lang"] = chosen
    if current_user.is_authenticated and current_user.locale != chosen:
        commit_change(lambda: setattr(current_user, "locale", chosen))
