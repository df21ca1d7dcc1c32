"""Copying an edition as a new one: every date moved by whole days on the course's wall
clock. Each feature copies its own part (the catalogue its modules and runs, quizzes
their questions, materials their rows and then their files); this module checks the
new dates and calls them in turn. Functions flush, never commit."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel import dates as babel_dates
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue import copying as catalogue_copying
from lms.catalogue.models import Course, CourseStatus
from lms.db import utcnow
from lms.deadlines import last_instant, shift_local
from lms.errors import FieldError, ServiceError
from lms.evaluations import copying as evaluation_copying
from lms.extensions import db
from lms.i18n import current_locale
from lms.materials import copying as material_copying
from lms.organise.checks import check_slug, clean_texts, require_default_language, to_utc
from lms.quizzes import copying as quiz_copying

# The audit log's actions recorded here (lms.audit.actions).
EDITION_COPIED = declare_action(
    "edition.copied",
    _l("Copied an edition as a new one"),
    source=Detail(_l("Copied from")),
    source_id=Detail(_l("Source edition id"), Shown.NUMBER),
    days=Detail(_l("Days moved"), Shown.NUMBER),
    files=Detail(_l("Files copied"), Shown.NUMBER),
)


def first_day(course: Course) -> date | None:
    """The local day (in the course's zone) of the edition's first run."""
    starts = course.starts_at
    return starts.astimezone(course.zone).date() if starts else None


def _weekday_name(day: date) -> str:
    return babel_dates.format_date(day, "EEEE", locale=current_locale())


def _long_date(day: date) -> str:
    return babel_dates.format_date(day, "full", locale=current_locale())


def _check_first_day(course: Course, starts_on: date, now: datetime) -> int:
    """How many days the edition moves; the new first day must keep the old weekday."""
    old_first = first_day(course)
    if old_first is None:
        raise ServiceError(
            _l("This edition has no runs yet, so there are no dates to move. Add its runs first.")
        )
    if starts_on <= now.astimezone(course.zone).date():
        raise FieldError("starts_on", _l("Please choose a first day in the future."))
    if starts_on.weekday() != old_first.weekday():
        gap = (old_first.weekday() - starts_on.weekday()) % 7
        after = starts_on + timedelta(days=gap)
        before = after - timedelta(days=7)
        raise FieldError(
            "starts_on",
            _l("This edition starts on a %(weekday)s. Please choose a %(weekday)s, for example %(before)s or %(after)s, so that every session keeps its weekday.",
               weekday=_weekday_name(old_first), before=_long_date(before), after=_long_date(after)),
        )  # fmt: skip
    return (starts_on - old_first).days


def copy_edition(
    course: Course,
    new_slug: str,
    starts_on: date,
    actor: User,
    *,
    title: dict | None = None,
    registration_opens: datetime | None = None,
    registration_closes: datetime | None = None,
    now: datetime | None = None,
) -> Course:
    """A new draft edition of ``course`` whose first day is ``starts_on``.

    Modules, runs (moved by whole days on the course's wall clock, so weekday and local
    time stay across daylight-saving changes; no seats taken), trainers, quizzes with
    their questions, and materials with copies of their files. Nothing of the learners
    (registrations, attempts, attendance, certificates) comes along. The registration
    window moves by the same number of days unless given (local times, naive; the
    closing minute counts to its end).

    The rows are written and checked first; files are copied only then, and removed
    again if the transaction does not commit, so a failure leaves nothing behind.
    """
    now = now or utcnow()
    slug = check_slug(new_slug)
    days = _check_first_day(course, starts_on, now)
    tz = course.zone
    opens = (
        to_utc(registration_opens, tz, "opens_on")
        if registration_opens is not None
        else shift_local(course.registration_opens_at, tz, days)
    )
    closes = (
        to_utc(last_instant(registration_closes), tz, "closes_on")
        if registration_closes is not None
        else shift_local(course.registration_closes_at, tz, days)
    )
    if closes <= opens:
        raise FieldError("closes_on", _l("Registration must close after it opens."))
    new_title = clean_texts(title or {})
    if new_title:  # a new title replaces the old one in every language, so it needs Vietnamese
        require_default_language(new_title, "title", _l("Please enter the title in Vietnamese."))
    else:
        new_title = dict(course.title)
    copy = Course(
        slug=slug,
        family=course.family,
        title=new_title,
        summary=dict(course.summary),
        organisers=dict(course.organisers),
        audience={locale: list(items) for locale, items in course.audience.items()},
        issuers={locale: list(names) for locale, names in course.issuers.items()},
        timezone=course.timezone,
        registration_opens_at=opens,
        registration_closes_at=closes,
        change_cutoff_hours=course.change_cutoff_hours,
        present_threshold=course.present_threshold,
        late_threshold=course.late_threshold,
        status=CourseStatus.DRAFT,
    )
    db.session.add(copy)
    modules = catalogue_copying.copy_for_edition(course, copy, days)
    quiz_copying.copy_for_edition(modules, tz, days)
    evaluation_copying.copy_for_edition(course, copy, modules, days)
    files = material_copying.copy_for_edition(modules, actor)
    db.session.flush()  # every row is valid before a single file is copied
    material_copying.copy_files(files, actor)
    db.session.flush()
    record(EDITION_COPIED, copy, actor=actor, course_id=copy.id, source=course.slug,
           source_id=course.id, days=days, files=len(files))  # fmt: skip
    return copy
