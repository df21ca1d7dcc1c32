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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone
from sqlalchemy import Text, bindparam, select, type_coerce
from sqlalchemy.orm import joinedload, lazyload

from lms.accounts.models import User
from lms.caching.versions import digest, read_rows
from lms.catalogue.models import Course, Module, Run, RunStatus, run_trainer
from lms.catalogue.services import trainers_shown
from lms.db import TranslatedTexts, stored_json, utcnow
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


@dataclass(frozen=True)
class EventFacts:
    """Everything a run's event shows, as plain values: equal facts make the same event,
    so a calendar of them can be kept (see ``build_calendar``)."""

    run_id: int
    run_key: str  # not in the event: the emails name a run without a label by it
    sequence: int
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    has_join_url: bool
    label: tuple[tuple[str, str], ...]  # a Translated value's items
    module_key: str
    module_position: int
    module_title: tuple[tuple[str, str], ...]
    course_title: tuple[tuple[str, str], ...]
    course_slug: str
    course_timezone: str
    trainers: tuple[str, ...]

    @classmethod
    def of(cls, run: Run) -> EventFacts:
        module = run.module
        course = module.course
        return cls(
            run_id=run.id,
            run_key=run.key,
            sequence=run.sequence,
            starts_at=run.starts_at,
            ends_at=run.ends_at,
            cancelled=run.is_cancelled,
            has_join_url=bool(run.join_url),
            label=_items(run.label),
            module_key=module.key,
            module_position=module.position,
            module_title=_items(module.title),
            course_title=_items(course.title),
            course_slug=course.slug,
            course_timezone=course.timezone,
            trainers=tuple(trainer.full_name for trainer in run.trainers),
        )


def _items(translated: dict | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((translated or {}).items()))


@lru_cache(maxsize=1)
def _facts_statement():
    """A row per run and trainer (ordered as ``Run.trainers``), plain columns."""
    return (
        select(
            Run.id,
            Run.key,
            Run.sequence,
            Run.starts_at,
            Run.ends_at,
            Run.status,
            Run.join_url,
            # translated texts as stored JSON: the rows repeat them (decoded once each)
            stored_json(Run.label),
            Module.key,
            Module.position,
            stored_json(Module.title),
            stored_json(Course.title),
            Course.slug,
            Course.timezone,
            User.full_name,
        )
        .join(Module, Module.id == Run.module_id)
        .join(Course, Course.id == Module.course_id)
        .outerjoin(run_trainer, run_trainer.c.run_id == Run.id)
        .outerjoin(User, User.id == run_trainer.c.user_id)
        .where(Run.id.in_(bindparam("ids", expanding=True)))
        .order_by(Run.id, User.full_name, User.id)
    )


def facts_of_runs(run_ids: Iterable[int]) -> dict[int, EventFacts]:
    """The facts of these runs' events, by run id, read as plain rows in one query.

    What ``EventFacts.of`` takes from a mapped run, its module, edition and trainers:
    loading those (six runs, each with its module and the edition again, the trainers in
    a second query) was half of building a registration's confirmation in the job worker.
    """
    ids = sorted(set(run_ids))
    if not ids:
        return {}
    rows: dict[int, tuple] = {}
    trainers: dict[int, list[str]] = {}
    for row in db.session.connection().execute(_facts_statement(), {"ids": ids}):
        rows.setdefault(row[0], row)
        names = trainers.setdefault(row[0], [])
        if row[14] is not None:
            names.append(row[14])
    texts = TranslatedTexts()
    return {run_id: _facts_of_row(row, trainers[run_id], texts) for run_id, row in rows.items()}


def _facts_of_row(row, trainers: list[str], texts: TranslatedTexts) -> EventFacts:
    (run_id, run_key, sequence, starts_at, ends_at, status, join_url, label, module_key,
     module_position, module_title, course_title, course_slug, course_timezone, _trainer) = row  # fmt: skip

    def items(text: str | None) -> tuple[tuple[str, str], ...]:
        return _items(texts(text))

    return EventFacts(
        run_id=run_id,
        run_key=run_key,
        sequence=sequence,
        starts_at=starts_at,
        ends_at=ends_at,
        cancelled=status == RunStatus.CANCELLED,  # as RunState.is_cancelled
        has_join_url=bool(join_url),
        label=items(label),
        module_key=module_key,
        module_position=module_position,
        module_title=items(module_title),
        course_title=items(course_title),
        course_slug=course_slug,
        course_timezone=course_timezone,
        trainers=tuple(trainers),
    )


def run_event(run: Run, locale: str, *, include_join_link: bool, base_url: str) -> Event:
    """The run as a VEVENT in ``locale``; the join link only with ``include_join_link``."""
    return _event(EventFacts.of(run), locale, include_join_link=include_join_link, base_url=base_url)


def _event(
    facts: EventFacts, locale: str, *, include_join_link: bool, base_url: str, stamp: datetime | None = None
) -> Event:
    course_zone = ZoneInfo(facts.course_timezone)
    with force_locale(locale):
        module_title = tr_text(dict(facts.module_title), locale)
        label = tr_text(dict(facts.label), locale)
        summary = f"{module_title} – {label}" if label else module_title
        lines = [
            tr_text(dict(facts.course_title), locale),
            _("Module %(num)s: %(title)s", num=facts.module_position, title=module_title),
        ]
        if facts.trainers:
            lines.append(_("Trainers: %(names)s", names=", ".join(facts.trainers)))
        if facts.cancelled:
            lines.append(_("This session is cancelled."))
        join_url = None
        if include_join_link and not facts.cancelled and facts.has_join_url:
            # The platform's /join address, never the video link itself: it checks the
            # seat and records the click (lms.attendance.joining).
            join_url = external_url("joining.join", base_url, run_id=facts.run_id)
            lines.append(_("Join the live session: %(url)s", url=join_url))
        module_url = external_url("catalogue.module", base_url, slug=facts.course_slug, key=facts.module_key)
        lines.append(_("Module page: %(url)s", url=module_url))
        return Event.new(
            uid=f"run-{facts.run_id}@{urlsplit(base_url).hostname or 'localhost'}",
            sequence=facts.sequence,
            stamp=stamp,
            start=facts.starts_at.astimezone(course_zone),
            end=facts.ends_at.astimezone(course_zone),
            summary=summary,
            description="\n".join(lines),
            url=join_url or module_url,
            location=join_url or _("Online"),
            status="CANCELLED" if facts.cancelled else "CONFIRMED",
        )


def build_calendar(
    runs: Iterable[Run], locale: str, *, name: str, include_join_link: bool, method: str = "PUBLISH"
) -> bytes:
    """A calendar of ``runs`` (with their time zones) as iCalendar bytes.

    With ``method="CANCEL"`` every event is marked cancelled, as RFC 5546 asks.

    Each event is written once per minute and process, and a calendar is its header,
    time zones and events put together (what ``Calendar.to_ical`` does with its parts):
    the confirmations of a registration evening carry the same dozen events (runs, in two
    languages) to hundreds of learners, and writing them was about half of building a
    confirmation. What an event shows is all in its key (``EventFacts``, the language,
    the links), and the minute is its DTSTAMP (when the calendar was made), so a kept
    event is the one that would be written now.
    """
    return calendar_of(
        (EventFacts.of(run) for run in runs),
        locale,
        name=name,
        include_join_link=include_join_link,
        method=method,
    )


def calendar_of(
    events: Iterable[EventFacts], locale: str, *, name: str, include_join_link: bool, method: str = "PUBLISH"
) -> bytes:
    """``build_calendar`` of runs given by their facts (``facts_of_runs``)."""
    base_url = current_app.config["BASE_URL"]
    facts = sorted(events, key=lambda f: (f.starts_at, f.run_id))
    stamp = utcnow().replace(second=0, microsecond=0)
    cancelling = method == "CANCEL"
    events = [
        _event_ical(run, locale, include_join_link and not cancelling, cancelling, base_url, stamp)
        for run in facts
    ]
    # Time zone rules for the years the runs span (the default, 1970-2038, would list
    # decades of daylight-saving changes for zones that have them).
    span = (
        (
            date(facts[0].starts_at.year - 1, 1, 1),
            max(run.ends_at for run in facts).date() + timedelta(days=366),
        )
        if facts
        else None
    )
    tzids = tuple(sorted(set().union(*(tzids for _, tzids in events)))) if facts else ()
    head = _calendar_head(name, method, tzids, span)
    return head + b"".join(data for data, _ in events) + CALENDAR_END


CALENDAR_END = b"END:VCALENDAR\r\n"


@lru_cache(maxsize=64)
def _calendar_head(name: str, method: str, tzids: tuple[str, ...], span: tuple[date, date] | None) -> bytes:
    """The calendar's own properties and the VTIMEZONEs of ``tzids``, without its end."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.method = method
    calendar.calendar_name = name
    for tzid in tzids:
        timezone = _timezone(tzid, *span)
        if timezone is not None:
            calendar.add_component(copy.deepcopy(timezone))
    data = calendar.to_ical()
    if not data.endswith(CALENDAR_END):
        raise RuntimeError("icalendar no longer ends a calendar with END:VCALENDAR")
    return data.removesuffix(CALENDAR_END)


@lru_cache(maxsize=1024)
def _event_ical(
    facts: EventFacts, locale: str, include_join_link: bool, cancelling: bool, base_url: str, stamp: datetime
) -> tuple[bytes, frozenset[str]]:
    """A VEVENT's bytes and the time zones it names (UTC needs none)."""
    event = _event(facts, locale, include_join_link=include_join_link, base_url=base_url, stamp=stamp)
    if cancelling:
        event.status = "CANCELLED"
    tzids = {
        value.params.get("TZID")
        for _, value in event.property_items(sorted=False)
        if hasattr(value, "params")
    }
    return event.to_ical(), frozenset(tzids - {None, "UTC"})


def forget_written_events() -> None:
    """Write every calendar anew (tests that watch it being written)."""
    _event_ical.cache_clear()
    _calendar_head.cache_clear()


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
