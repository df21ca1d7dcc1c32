"""Calendar feeds: a course's public calendar and each learner's personal feed.

The addresses are stable interfaces (calendar apps poll them): the course calendar
``/courses/<slug>/calendar.ics`` and the personal feed ``/calendar/<token>.ics``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.catalogue.services import find_published_course
from lms.enrollment import ical
from lms.i18n import current_locale, tr_text
from lms.transactions import commit_change

bp = Blueprint("calendars", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"


def ics_response(data: bytes, filename: str, *, private: bool) -> Response:
    response = Response(data, content_type=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if private:
        # The address is the only key to the feed: keep it out of caches and search engines.
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/courses/<slug>/calendar.ics")
def course_calendar(slug: str):
    """Every run of the course, cancelled ones marked so; no join links."""
    course = find_published_course(slug) or abort(404)
    locale = current_locale()  # ?lang= first, then the usual order
    data = ical.build_calendar(
        course.runs, locale, name=tr_text(course.title, locale), include_join_link=False
    )
    return ics_response(data, f"{course.slug}.ics", private=False)


@bp.get("/calendar/<token>.ics")
def personal_feed(token: str):
    """The sessions the token's owner holds a seat in, with join links, in their language."""
    user = ical.find_user_by_calendar_token(token)
    if user is None or not user.is_active:
        abort(404)
    runs = ical.feed_runs_of(user)
    data = ical.build_calendar(runs, user.locale, name=ical.feed_name(user.locale), include_join_link=True)
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
