"""iCalendar files: the course calendar, a learner's personal feed, email attachments.

Each run is one event whose UID never changes (``run-<id>@<host>``) and whose SEQUENCE
is the run's, raised on every reschedule or cancellation, so calendar apps update the
event they already have instead of adding a second one. Times are written in the
course's time zone with its VTIMEZONE, so the event shows at the right hour in every
reader's calendar. All text is in the reader's language.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone
from sqlalchemy import Text, select, type_coerce
from sqlalchemy.orm import joinedload, lazyload

from lms.accounts.models import User
from lms.caching.versions import digest, read_rows
from lms.catalogue.models import Course, Module, Run, RunStatus, run_trainer
from lms.catalogue.services import trainers_shown
from lms.enrollment.models import (
    ChoiceStatus,
    Registration,
    RegistrationStatus,
    RunChoice,
    where_holding_seat,
)
from lms.extensions import db
from lms.i18n import tr_text
from lms.urls import external_url

PRODID = "-//EIP Training//Training platform//EN"


def run_event(run: Run, locale: str, *, include_join_link: bool, base_url: str) -> Event:
    """The run as a VEVENT in ``locale``; the join link only with ``include_join_link``."""
    module = run.module
    course = module.course
    course_zone = course.zone
    with force_locale(locale):
        module_title = tr_text(module.title, locale)
        label = tr_text(run.label, locale)
        summary = f"{module_title} – {label}" if label else module_title
        lines = [
            tr_text(course.title, locale),
            _("Module %(num)s: %(title)s", num=module.position, title=module_title),
        ]
        if run.trainers:
            names = ", ".join(trainer.full_name for trainer in run.trainers)
            lines.append(_("Trainers: %(names)s", names=names))
        if run.is_cancelled:
            lines.append(_("This session is cancelled."))
        join_url = None
        if include_join_link and not run.is_cancelled and run.join_url:
            # The platform's /join address, never the video link itself: it checks the
            # seat and records the click (lms.attendance.joining).
            join_url = external_url("joining.join", base_url, run_id=run.id)
            lines.append(_("Join the live session: %(url)s", url=join_url))
        module_url = external_url("catalogue.module", base_url, slug=course.slug, key=module.key)
        lines.append(_("Module page: %(url)s", url=module_url))
        return Event.new(
            uid=f"run-{run.id}@{urlsplit(base_url).hostname or 'localhost'}",
            sequence=run.sequence,
            start=run.starts_at.astimezone(course_zone),
            end=run.ends_at.astimezone(course_zone),
            summary=summary,
            description="\n".join(lines),
            url=join_url or module_url,
            location=join_url or _("Online"),
            status="CANCELLED" if run.is_cancelled else "CONFIRMED",
        )


def build_calendar(
    runs: Iterable[Run], locale: str, *, name: str, include_join_link: bool, method: str = "PUBLISH"
) -> bytes:
    """A calendar of ``runs`` (with their time zones) as iCalendar bytes.

    With ``method="CANCEL"`` every event is marked cancelled, as RFC 5546 asks.
    """
    base_url = current_app.config["BASE_URL"]
    runs = sorted(runs, key=lambda run: (run.starts_at, run.id))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.method = method
    calendar.calendar_name = name
    cancelling = method == "CANCEL"
    for run in runs:
        event = run_event(
            run, locale, include_join_link=include_join_link and not cancelling, base_url=base_url
        )
        if cancelling:
            event.status = "CANCELLED"
        calendar.add_component(event)
    # Time zone rules for the years the runs span (the default, 1970-2038, would list
    # decades of daylight-saving changes for zones that have them).
    if runs:
        first, last = runs[0].starts_at.date(), max(run.ends_at for run in runs).date()
        add_missing_timezones(calendar, date(first.year - 1, 1, 1), last + timedelta(days=366))
    return calendar.to_ical()


def add_missing_timezones(calendar: Calendar, first_date: date, last_date: date) -> None:
    """``calendar.add_missing_timezones()``, each VTIMEZONE computed once per process.

    icalendar derives a VTIMEZONE by probing the zone's offsets across the whole date
    range (about 16 ms for Asia/Ho_Chi_Minh, three quarters of a personal feed's time,
    and inside the registration's transaction for the confirmation email's attachment).
    """
    position = len(calendar.timezones)
    for tzid in sorted(calendar.get_missing_tzids()):
        timezone = _timezone(tzid, first_date, last_date)
        if timezone is not None:
            calendar.subcomponents.insert(position, copy.deepcopy(timezone))
            position += 1


@lru_cache(maxsize=256)
def _timezone(tzid: str, first_date: date, last_date: date) -> Timezone | None:
    """The VTIMEZONE of a zone (None for a zone icalendar does not know); callers copy it."""
    try:
        return Timezone.from_tzid(tzid, first_date=first_date, last_date=last_date)
    except ValueError:
        return None


def feed_name(locale: str) -> str:
    """The name calendar apps show for a personal feed."""
    with force_locale(locale):
        return _("EIP training: my sessions")


# -- personal feed tokens -------------------------------------------------------------


def reset_calendar_token(user: User) -> str:
    """A new token: links with the old one stop working (flushes, never commits)."""
    user.calendar_token = secrets.token_urlsafe(32)
    db.session.flush()
    return user.calendar_token


def find_user_by_calendar_token(token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    # Roles are not needed to answer a calendar app (a query saved on every poll).
    return db.session.scalar(select(User).where(User.calendar_token == token).options(lazyload(User.roles)))


def feed_run_ids(user: User):
    """The ids of the runs the user's feed shows: where they hold a seat, in active
    registrations, across courses, and the cancelled runs they held a seat in when they
    were cancelled (so that the subscribed calendar shows the event as cancelled rather
    than losing it silently)."""
    held = where_holding_seat(select(Run.id).join(RunChoice, RunChoice.run_id == Run.id)).where(
        RunChoice.user_id == user.id
    )
    cancelled_with_them = (
        select(Run.id)
        .join(RunChoice, RunChoice.run_id == Run.id)
        .join(Registration, Registration.id == RunChoice.registration_id)
        .where(
            # from the (few) cancelled runs' choices, through the (run, status) index:
            # no index starts with the user for cancelled choices
            RunChoice.run_id.in_(select(Run.id).where(Run.status == RunStatus.CANCELLED)),
            RunChoice.user_id == user.id,
            RunChoice.status == ChoiceStatus.CANCELLED,
            RunChoice.confirmed_at.is_not(None),
            RunChoice.ended_at == Run.cancelled_at,
            Run.status == RunStatus.CANCELLED,
            Registration.status == RegistrationStatus.ACTIVE,
        )
    )
    return held.union(cancelled_with_them)


def feed_runs_of(user: User) -> list[Run]:
    """The runs of the user's feed (``feed_run_ids``), with what their events show."""
    return list(
        db.session.scalars(
            select(Run)
            .where(Run.id.in_(feed_run_ids(user)))
            .options(
                joinedload(Run.module).joinedload(Module.course),
                trainers_shown(),
            )
            .order_by(Run.starts_at, Run.id)
        )
    )


def feed_version(user: User) -> str:
    """A digest of everything the user's feed shows (one lean query, no rendering):
    their language and, for each run, its times, state, label, join link, trainers,
    module and edition."""
    rows = read_rows(
        select(
            Run.id,
            Run.key,
            Run.sequence,
            Run.status,
            Run.starts_at,
            Run.ends_at,
            Run.join_url,
            type_coerce(Run.label, Text),
            Module.key,
            Module.position,
            type_coerce(Module.title, Text),
            Course.slug,
            Course.timezone,
            Course.updated_at,
            User.id,
            User.full_name,
        )
        .join(Module, Module.id == Run.module_id)
        .join(Course, Course.id == Module.course_id)
        .outerjoin(run_trainer, run_trainer.c.run_id == Run.id)
        .outerjoin(User, User.id == run_trainer.c.user_id)
        .where(Run.id.in_(feed_run_ids(user)))
        .order_by(Run.id, User.id)
    )
    return digest(user.id, user.locale, rows)
