"""Calendar feeds: a course's public calendar and each learner's personal feed.

The addresses are stable interfaces (calendar apps poll them): the course calendar
``/courses/<slug>/calendar.ics`` and the personal feed ``/calendar/<token>.ics``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.models import User
from lms.caching.conditional import conditional, personal_key
from lms.caching.store import remembered
from lms.catalogue.services import find_published_course
from lms.catalogue.versions import edition_version
from lms.enrollment import ical
from lms.i18n import current_locale, tr_text
from lms.transactions import commit_change

bp = Blueprint("calendars", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"


PERSONAL = "private, no-cache"  # only the owner's calendar app keeps it, and asks again
PUBLIC = "public, max-age=300"  # a course's calendar: anyone may keep it five minutes


def ics_response(data: bytes, filename: str, *, private: bool) -> Response:
    response = Response(data, content_type=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if private:
        # The address is the only key to the feed: keep it out of search engines.
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def course_calendar_version(slug: str) -> str | None:
    edition = edition_version(slug)
    return edition.key if edition else None


@bp.get("/courses/<slug>/calendar.ics")
@conditional(course_calendar_version, cache_control=PUBLIC, timeless=True)
def course_calendar(slug: str):
    """Every run of the course, cancelled ones marked so; no join links. Rendered once
    per version and language (the ETag), then kept in the shared cache."""
    course = find_published_course(slug) or abort(404)
    locale = current_locale()  # ?lang= first, then the usual order

    def build() -> bytes:
        return ical.build_calendar(
            course.runs, locale, name=tr_text(course.title, locale), include_join_link=False
        )

    data = remembered("ics:" + g.response_etag, build, current_app.config["CACHE_TIMEOUT"])
    return ics_response(data, f"{course.slug}.ics", private=False)


def feed_owner(token: str) -> User | None:
    """The active user whose feed this token opens (kept on g for the view)."""
    if "feed_owner" not in g:
        user = ical.find_user_by_calendar_token(token)
        g.feed_owner = user if user is not None and user.is_active else None
    return g.feed_owner


def personal_feed_version(token: str) -> str | None:
    user = feed_owner(token)
    return ical.feed_version(user) if user is not None else None


@bp.get("/calendar/<token>.ics")
@conditional(personal_feed_version, cache_control=PERSONAL, scopes=("public", "personal"), timeless=True)
def personal_feed(token: str):
    """The sessions the token's owner holds a seat in, with join links, in their language.
    Rendered once per version, kept under a key of the owner's own."""
    user = feed_owner(token)
    if user is None:
        abort(404)

    def build() -> bytes:
        runs = ical.feed_runs_of(user)
        return ical.build_calendar(
            runs, user.locale, name=ical.feed_name(user.locale), include_join_link=True
        )

    data = remembered(personal_key(user.id, g.response_etag), build, current_app.config["CACHE_TIMEOUT"])
    return ics_response(data, "eip-training.ics", private=True)


@bp.post("/account/calendar/reset")
@login_required
def reset_token():
    commit_change(lambda: ical.reset_calendar_token(current_user._get_current_object()))
    flash(
        _("Your calendar link is new. Calendars subscribed with the old link stop updating: subscribe again with the new one."),
        "success",
    )  # fmt: skip
    return redirect(url_for("accounts.profile") + "#calendar")
