"""Setting up editions: what organisers type about courses, modules and runs, copying
an edition as a new one, rescheduling and cancelling runs.

Times arrive as the organiser typed them, local to the course's zone (naive), and
are checked and stored in UTC here, so a route, the CLI and the tests share one set
of rules. A refusal that belongs to one field is a ``FieldError`` naming that form
field, so the page can show the message next to it. Functions flush, never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import dates as babel_dates
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import Role, User, UserRole
from lms.audit.models import record
from lms.db import utcnow
from lms.deadlines import last_instant
from lms.enrollment import services as enrollment
from lms.enrollment.models import ChoiceStatus, Registration, RegistrationStatus, RunChoice
from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import current_locale
from lms.materials.models import Material, MaterialVersion
from lms.materials.storage import TooLarge, delete_unless_committed, get_storage
from lms.modules.models import Course, CourseStatus, Module, Run, RunStatus
from lms.organise import notify
from lms.quizzes.models import Question, Quiz

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
RUN_KEYS = "abcdefghijklmnopqrstuvwxyz"
# Addresses the organiser pages themselves use under /organise/courses/.
RESERVED_SLUGS = {"new"}


class FieldError(ServiceError):
    """A refusal about one form field (``field`` is the form field's name)."""

    def __init__(self, field_name: str, message) -> None:
        super().__init__(message)
        self.field = field_name


# -- reading ---------------------------------------------------------------------------


def all_editions() -> list[Course]:
    """Every edition, whatever its status, newest registration first, with runs to count."""
    return list(
        db.session.scalars(
            select(Course)
            .options(selectinload(Course.modules).selectinload(Module.runs))
            .order_by(Course.registration_opens_at.desc(), Course.id.desc())
        )
    )


def find_edition(slug: str) -> Course | None:
    """An edition of any status with its modules, runs and trainers."""
    return db.session.scalar(
        select(Course)
        .where(Course.slug == slug)
        .options(selectinload(Course.modules).selectinload(Module.runs).selectinload(Run.trainers))
    )


def find_run(run_id: int) -> Run | None:
    return db.session.scalar(
        select(Run)
        .where(Run.id == run_id)
        .options(joinedload(Run.module).joinedload(Module.course), selectinload(Run.trainers))
    )


def trainers() -> list[User]:
    """The people who may be assigned to runs: active accounts with the trainer role."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.TRAINER, User.is_active_account.is_(True))
            .order_by(User.full_name, User.id)
        )
    )


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zones() -> list[str]:
    """Every zone the server knows by its area and city name, Viet Nam's first."""
    default = current_app.config["DEFAULT_TIMEZONE"]
    names = sorted(name for name in _known_zones() if "/" in name and not name.startswith("Etc/"))
    return [default, *(name for name in names if name != default), "UTC"]


# -- checks shared by the forms ------------------------------------------------------


def _default_locale() -> str:
    return current_app.config["LANGUAGES"][0]


def _clean_texts(value: dict) -> dict:
    return {locale: text.strip() for locale, text in (value or {}).items() if text and text.strip()}


def _clean_lists(value: dict) -> dict:
    cleaned = {}
    for locale, items in (value or {}).items():
        items = [item.strip() for item in items or [] if item and item.strip()]
        if items:
            cleaned[locale] = items
    return cleaned


def _require_default_language(texts: dict, field_prefix: str, message) -> None:
    if not texts.get(_default_locale()):
        raise FieldError(f"{field_prefix}_{_default_locale()}", message)


def zone_named(name: str) -> ZoneInfo:
    try:
        if name not in _known_zones() and name != "UTC":
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError("timezone", _l("Please choose a time zone from the list.")) from None


def to_utc(local: datetime, tz: ZoneInfo, field_name: str) -> datetime:
    """A wall-clock time in ``tz`` as an aware UTC datetime; refuse one the clocks skip."""
    aware = local.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        raise FieldError(
            field_name,
            _l("This time does not exist in the course's time zone on that day, because the clocks change. Please choose another time."),
        )  # fmt: skip
    return aware.astimezone(UTC)


def shift_local(value: datetime | None, tz: ZoneInfo, days: int) -> datetime | None:
    """``value`` moved by whole days on the wall clock of ``tz``: same local time,
    whatever daylight-saving rules say about the UTC offset on the new day."""
    if value is None:
        return None
    local = value.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=tz).astimezone(UTC)


def check_join_link(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or len(url) > 500:
        raise FieldError("join_url", _l("The join link must be a full address starting with https://."))
    return url


def _slug_taken(slug: str, except_id: int | None = None) -> bool:
    query = select(Course.id).where(func.lower(Course.slug) == slug.lower())
    if except_id is not None:
        query = query.where(Course.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def check_slug(slug: str, except_id: int | None = None) -> str:
    slug = (slug or "").strip()
    if not SLUG.match(slug) or slug in RESERVED_SLUGS:
        raise FieldError(
            "slug",
            _l("Use 2 to 80 lower-case letters, digits and hyphens, starting with a letter or digit, e.g. eip-2025."),
        )  # fmt: skip
    if _slug_taken(slug, except_id):
        raise FieldError("slug", _l("Another edition already uses the address %(slug)s. Please choose another one.", slug=slug))  # fmt: skip
    return slug


# -- editions ----------------------------------------------------------------------


@dataclass(frozen=True)
class CourseDetails:
    """An edition's settings as typed; registration times local to ``timezone``. The
    closing minute counts to its end (``lms.deadlines.last_instant``)."""

    slug: str
    family: str
    title: dict
    summary: dict
    organisers: dict
    audience: dict  # {locale: [lines]}
    timezone: str
    registration_opens: datetime
    registration_closes: datetime
    change_cutoff_hours: int
    present_threshold: int
    late_threshold: int
    status: str
    issuers: dict = field(default_factory=dict)  # {locale: [organisation per line]}


def _issuers(issuers: dict) -> dict:
    lists = _clean_lists(issuers)
    if len({len(names) for names in lists.values() if names}) > 1:
        raise FieldError("issuers_en", _l("Name the same organisations in every language, one per line."))
    return lists


def _course_values(details: CourseDetails, course: Course | None) -> dict:
    slug = details.slug.strip()
    if course is None or slug != course.slug:
        if course is not None and course.status != CourseStatus.DRAFT:
            raise FieldError("slug", _l("The address of a published edition cannot change: links and calendars use it."))  # fmt: skip
        slug = check_slug(slug, except_id=getattr(course, "id", None))
    family = (details.family or "").strip() or slug
    if not KEY.match(family):
        raise FieldError("family", _l("Use lower-case letters, digits and hyphens, e.g. eip."))
    title = _clean_texts(details.title)
    _require_default_language(title, "title", _l("Please enter the title in Vietnamese."))
    tz = zone_named(details.timezone)
    opens = to_utc(details.registration_opens, tz, "opens_on")
    closes = to_utc(last_instant(details.registration_closes), tz, "closes_on")
    if closes <= opens:
        raise FieldError("closes_on", _l("Registration must close after it opens."))
    if not 0 <= details.change_cutoff_hours <= 24 * 60:
        raise FieldError("change_cutoff_hours", _l("Please enter a number of hours from 0 to 1440."))
    for name in ("present_threshold", "late_threshold"):
        if not 0 <= getattr(details, name) <= 100:
            raise FieldError(name, _l("Please enter a percentage from 0 to 100."))
    if details.late_threshold > details.present_threshold:
        raise FieldError(
            "late_threshold", _l("The share for late cannot be higher than the share for present.")
        )
    if details.status not in set(CourseStatus):
        raise FieldError("status", _l("Please choose a status."))
    return {
        "slug": slug,
        "family": family,
        "title": title,
        "summary": _clean_texts(details.summary),
        "organisers": _clean_texts(details.organisers),
        "audience": _clean_lists(details.audience),
        "issuers": _issuers(details.issuers),
        "timezone": details.timezone,
        "registration_opens_at": opens,
        "registration_closes_at": closes,
        "change_cutoff_hours": details.change_cutoff_hours,
        "present_threshold": details.present_threshold,
        "late_threshold": details.late_threshold,
        "status": details.status,
    }


def _check_publishable(course: Course) -> None:
    modules = course.modules
    if not modules or any(not [run for run in module.runs if not run.is_cancelled] for module in modules):
        raise FieldError("status", _l("Learners choose a run of every module, so an edition can be published only when each of its modules has a run."))  # fmt: skip


def create_course(details: CourseDetails, actor: User) -> Course:
    values = _course_values(details, None)
    if values["status"] == CourseStatus.PUBLISHED:
        raise FieldError("status", _l("A new edition has no modules yet: save it as a draft, add its modules and runs, then publish it."))  # fmt: skip
    course = Course(**values)
    db.session.add(course)
    db.session.flush()
    record("course.created", course, actor=actor, course_id=course.id, slug=course.slug)
    return course


def update_course(course: Course, details: CourseDetails, actor: User) -> list[str]:
    """Save the edition's settings; returns the names of what changed."""
    values = _course_values(details, course)
    if values["status"] == CourseStatus.PUBLISHED and course.status != CourseStatus.PUBLISHED:
        _check_publishable(course)
    changed = [name for name, value in values.items() if getattr(course, name) != value]
    for name in changed:
        setattr(course, name, values[name])
    if changed:
        db.session.flush()
        record("course.updated", course, actor=actor, course_id=course.id, fields=changed)
    return changed


# -- modules -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleDetails:
    title: dict
    outline: dict
    objectives: dict  # {locale: [lines]}
    duration_minutes: int
    position: int
    key: str = ""  # only for a new module: it is part of the module's address


def _module_values(details: ModuleDetails) -> dict:
    title = _clean_texts(details.title)
    _require_default_language(title, "title", _l("Please enter the module's title in Vietnamese."))
    if not 1 <= details.duration_minutes <= 24 * 60:
        raise FieldError("duration_minutes", _l("Please enter a duration from 1 to 1440 minutes."))
    return {
        "title": title,
        "outline": _clean_texts(details.outline),
        "objectives": _clean_lists(details.objectives),
        "duration_minutes": details.duration_minutes,
    }


def add_module(course: Course, details: ModuleDetails, actor: User) -> Module:
    key = (details.key or "").strip()
    if not KEY.match(key):
        raise FieldError("key", _l("Use lower-case letters, digits and hyphens, e.g. eip-concepts."))
    if any(module.key == key for module in course.modules):
        raise FieldError("key", _l("Another module of this edition already uses %(key)s.", key=key))
    module = Module(key=key, position=len(course.modules) + 1, **_module_values(details))
    course.modules.append(module)
    db.session.flush()
    _place(course, module, details.position)
    record("module.created", module, actor=actor, course_id=course.id, key=key, position=module.position)
    return module


def update_module(module: Module, details: ModuleDetails, actor: User) -> list[str]:
    values = _module_values(details)
    changed = [name for name, value in values.items() if getattr(module, name) != value]
    for name in changed:
        setattr(module, name, values[name])
    if details.position != module.position:
        _place(module.course, module, details.position)
        changed.append("position")
    if changed:
        db.session.flush()
        record("module.updated", module, actor=actor, course_id=module.course_id, fields=changed)
    return changed


def move_module(module: Module, offset: int, actor: User) -> bool:
    """Move a module up (-1) or down (+1); False at either end."""
    target = module.position + offset
    if offset == 0 or not 1 <= target <= len(module.course.modules):
        return False
    _place(module.course, module, target)
    record("module.moved", module, actor=actor, course_id=module.course_id, position=module.position)
    return True


def _place(course: Course, module: Module, position: int) -> None:
    """Put ``module`` at ``position`` (clamped) and number the others 1, 2, 3... around it."""
    others = [
        other for other in sorted(course.modules, key=lambda m: (m.position, m.id)) if other is not module
    ]
    index = min(max(position, 1), len(others) + 1) - 1
    others.insert(index, module)
    for number, item in enumerate(others, start=1):
        item.position = number
    db.session.flush()
    db.session.expire(course, ["modules"])  # reloaded in the new order when next read


# -- runs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunDetails:
    """A run as typed: its start local to the course's zone; an end time on the same
    day, or else a duration (the module's when neither is given)."""

    label: dict
    starts: datetime
    capacity: int
    ends_time: time | None = None
    duration_minutes: int | None = None
    join_url: str = ""
    trainer_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class RunTimes:
    starts_at: datetime
    ends_at: datetime


def _run_times(module: Module, details: RunDetails) -> RunTimes:
    tz = module.course.zone
    starts = to_utc(details.starts, tz, "starts_on")
    if details.ends_time is not None:
        ends = to_utc(datetime.combine(details.starts.date(), details.ends_time), tz, "ends_time")
        field_name = "ends_time"
    else:
        minutes = details.duration_minutes or module.duration_minutes
        ends = starts + timedelta(minutes=minutes)
        field_name = "duration_minutes"
    if ends <= starts:
        raise FieldError(field_name, _l("The run must end after it starts."))
    return RunTimes(starts, ends)


def _run_trainers(ids) -> list[User]:
    wanted = set(ids or ())
    if not wanted:
        return []
    found = [user for user in trainers() if user.id in wanted]
    if len(found) != len(wanted):
        raise FieldError("trainers", _l("Please choose trainers from the list."))
    return found


def _next_run_key(module: Module) -> str:
    used = {run.key for run in module.runs}
    letters = [key for key in RUN_KEYS if key not in used]
    return letters[0] if letters else f"r{len(used) + 1}"


def add_run(module: Module, details: RunDetails, actor: User) -> Run:
    times = _run_times(module, details)
    if details.capacity < 0:
        raise FieldError("capacity", _l("Please enter a number of seats from 0 upwards."))
    run = Run(
        key=_next_run_key(module),
        label=_clean_texts(details.label),
        starts_at=times.starts_at,
        ends_at=times.ends_at,
        capacity=details.capacity,
        taken=0,
        sequence=0,
        join_url=check_join_link(details.join_url),
        status=RunStatus.SCHEDULED,
    )
    run.trainers = _run_trainers(details.trainer_ids)
    module.runs.append(run)
    db.session.flush()
    record("run.created", run, actor=actor, course_id=module.course_id, module=module.key,
           starts_at=run.starts_at.isoformat(), ends_at=run.ends_at.isoformat(), capacity=run.capacity)  # fmt: skip
    return run


@dataclass
class RunUpdate:
    changed: list[str] = field(default_factory=list)
    rescheduled: bool = False
    told: int = 0  # learners emailed about the new time
    promoted: int = 0  # learners given a seat by a larger capacity


def update_run(run: Run, details: RunDetails, actor: User, now: datetime | None = None) -> RunUpdate:
    """Save a run. A new time raises its SEQUENCE and emails everyone holding a seat or
    waiting; a larger capacity gives seats to the waiting list (``set_capacity``)."""
    now = now or utcnow()
    if run.is_cancelled:
        raise ServiceError(_l("This run is cancelled, so it can no longer be changed."))
    times = _run_times(run.module, details)
    join_url = check_join_link(details.join_url)
    wanted_trainers = _run_trainers(details.trainer_ids)
    if details.capacity < 0:
        raise FieldError("capacity", _l("Please enter a number of seats from 0 upwards."))
    result = RunUpdate()
    values = {"label": _clean_texts(details.label), "join_url": join_url}
    for name, value in values.items():
        if getattr(run, name) != value:
            setattr(run, name, value)
            result.changed.append(name)
    if {user.id for user in run.trainers} != {user.id for user in wanted_trainers}:
        run.trainers = wanted_trainers
        result.changed.append("trainers")
    if (times.starts_at, times.ends_at) != (run.starts_at, run.ends_at):
        result.told = _reschedule(run, times, actor)
        result.rescheduled = True
        result.changed.append("time")
    # After the new time is saved, so that people promoted to a seat are sent that time.
    if details.capacity != run.capacity:
        db.session.flush()  # set_capacity reloads the run from the database
        try:
            changes = enrollment.set_capacity(run, details.capacity, actor, now)
        except ServiceError as refusal:
            raise FieldError("capacity", refusal.message) from None
        result.changed.append("capacity")
        result.promoted = len(changes.promoted)
    if result.changed:
        db.session.flush()
        record("run.updated", run, actor=actor, course_id=run.module.course_id, fields=result.changed)
    return result


def current_choices(run: Run) -> list[RunChoice]:
    """Seats and waiting places in the run (active registrations), with their learners."""
    return list(
        db.session.scalars(
            select(RunChoice)
            .join(Registration, Registration.id == RunChoice.registration_id)
            .where(
                RunChoice.run_id == run.id,
                RunChoice.status.in_([ChoiceStatus.CONFIRMED, ChoiceStatus.WAITING]),
                Registration.status == RegistrationStatus.ACTIVE,
            )
            .options(joinedload(RunChoice.user))
            .order_by(RunChoice.id)
        )
    )


def _reschedule(run: Run, times: RunTimes, actor: User) -> int:
    before = RunTimes(run.starts_at, run.ends_at)
    run.starts_at, run.ends_at = times.starts_at, times.ends_at
    run.sequence += 1
    # A reminder sent for the old time says nothing about the new one.
    db.session.execute(
        update(RunChoice)
        .where(RunChoice.run_id == run.id, RunChoice.status == ChoiceStatus.CONFIRMED)
        .values(reminder_sent_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    choices = current_choices(run)
    record("run.rescheduled", run, actor=actor, course_id=run.module.course_id,
           before=[before.starts_at.isoformat(), before.ends_at.isoformat()],
           after=[times.starts_at.isoformat(), times.ends_at.isoformat()], told=len(choices))  # fmt: skip
    for choice in choices:
        notify.rescheduled(choice, before.starts_at, before.ends_at)
    return len(choices)


def cancel_run(run: Run, reason: dict, actor: User, now: datetime | None = None) -> int:
    """Cancel a run: nothing is deleted, but every seat and waiting place in it ends,
    the calendars mark it cancelled, and each learner is emailed (with the module's
    other runs to choose from). Returns how many learners were told."""
    now = now or utcnow()
    if run.is_cancelled:
        raise ServiceError(_l("This run is already cancelled."))
    reason = _clean_texts(reason)
    _require_default_language(reason, "reason", _l("Please tell the learners in Vietnamese why the run is cancelled."))  # fmt: skip
    enrollment.lock_runs(other.id for other in run.module.runs)
    choices = current_choices(run)
    was_confirmed = {choice.id: choice.is_confirmed for choice in choices}
    db.session.execute(
        update(RunChoice)
        .where(
            RunChoice.run_id == run.id, RunChoice.status.in_([ChoiceStatus.CONFIRMED, ChoiceStatus.WAITING])
        )
        .values(status=ChoiceStatus.CANCELLED, ended_at=now, ended_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    run.status = RunStatus.CANCELLED
    run.taken = 0
    run.sequence += 1
    run.cancelled_at = now
    run.cancelled_by_id = actor.id
    run.cancellation_reason = reason
    db.session.flush()
    for choice in choices:
        db.session.refresh(choice)
    record("run.cancelled", run, actor=actor, course_id=run.module.course_id, reason=reason,
           seats_released=sum(was_confirmed.values()), told=len(choices))  # fmt: skip
    seats = _seats_in_module(run.module, [choice.user_id for choice in choices])
    for choice in choices:
        notify.cancelled(choice, was_confirmed[choice.id], seats.get(choice.user_id), now)
    return len(choices)


def _seats_in_module(module: Module, user_ids: list[int]) -> dict[int, RunChoice]:
    """{learner id: seat} for the learners holding a seat in another run of the module."""
    if not user_ids:
        return {}
    seats = db.session.scalars(
        select(RunChoice)
        .where(
            RunChoice.module_id == module.id,
            RunChoice.user_id.in_(user_ids),
            RunChoice.status == ChoiceStatus.CONFIRMED,
        )
        .options(joinedload(RunChoice.run))
    )
    return {seat.user_id: seat for seat in seats}


# -- copying an edition ---------------------------------------------------------------


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


@dataclass(frozen=True)
class _FileToCopy:
    source: MaterialVersion
    material: Material


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
    new_title = _clean_texts(title or {})
    if new_title:  # a new title replaces the old one in every language, so it needs Vietnamese
        _require_default_language(new_title, "title", _l("Please enter the title in Vietnamese."))
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
    files: list[_FileToCopy] = []
    quizzes = _quizzes_by_module(course)
    materials = _materials_by_module(course)
    for module in course.modules:
        new_module = _copy_module(module, tz, days)
        copy.modules.append(new_module)
        db.session.flush()
        if module.id in quizzes:
            _copy_quiz(quizzes[module.id], new_module, tz, days)
        for material in materials.get(module.id, []):
            new_material = _copy_material(material, new_module, actor)
            if material.is_file and material.current_version is not None:
                files.append(_FileToCopy(material.current_version, new_material))
    db.session.flush()  # every row is valid before a single file is copied
    for item in files:
        _copy_file(item.source, item.material, actor)
    db.session.flush()
    record("course.copied", copy, actor=actor, course_id=copy.id, source=course.slug,
           source_id=course.id, days=days, files=len(files))  # fmt: skip
    return copy


def _copy_module(module: Module, tz: ZoneInfo, days: int) -> Module:
    new_module = Module(
        key=module.key,
        position=module.position,
        title=dict(module.title),
        outline=dict(module.outline),
        objectives={locale: list(items) for locale, items in module.objectives.items()},
        duration_minutes=module.duration_minutes,
    )
    for run in module.runs:
        new_run = Run(
            key=run.key,
            label=dict(run.label),
            starts_at=shift_local(run.starts_at, tz, days),
            ends_at=shift_local(run.ends_at, tz, days),
            capacity=run.capacity,
            taken=0,
            sequence=0,
            join_url=run.join_url,
            status=RunStatus.SCHEDULED,
        )
        if new_run.ends_at <= new_run.starts_at:  # a run across a clock change, moved onto one
            new_run.ends_at = new_run.starts_at + (run.ends_at - run.starts_at)
        new_run.trainers = list(run.trainers)
        new_module.runs.append(new_run)
    return new_module


def _quizzes_by_module(course: Course) -> dict[int, Quiz]:
    quizzes = db.session.scalars(
        select(Quiz)
        .where(Quiz.module_id.in_([module.id for module in course.modules] or [0]))
        .options(selectinload(Quiz.questions))
    )
    return {quiz.module_id: quiz for quiz in quizzes}


def _copy_quiz(quiz: Quiz, module: Module, tz: ZoneInfo, days: int) -> Quiz:
    copy = Quiz(
        module_id=module.id,
        title=dict(quiz.title),
        pass_mark=quiz.pass_mark,
        attempts_allowed=quiz.attempts_allowed,
        time_limit_minutes=quiz.time_limit_minutes,
        opens_at=shift_local(quiz.opens_at, tz, days),
        closes_at=shift_local(quiz.closes_at, tz, days),
        shuffle_questions=quiz.shuffle_questions,
        shuffle_options=quiz.shuffle_options,
        show_after=quiz.show_after,
        show_when=quiz.show_when,
    )
    # Removed questions stay in the old edition for its attempts; the new one starts clean.
    for question in quiz.active_questions:
        copy.questions.append(
            Question(
                position=question.position,
                kind=question.kind,
                text=dict(question.text),
                points=question.points,
                options=[dict(option) for option in question.options],
                answer=dict(question.answer),
                accent_insensitive=question.accent_insensitive,
                min_words=question.min_words,
                max_words=question.max_words,
                feedback=dict(question.feedback),
            )
        )
    db.session.add(copy)
    return copy


def _materials_by_module(course: Course) -> dict[int, list[Material]]:
    materials = db.session.scalars(
        select(Material)
        .where(Material.module_id.in_([module.id for module in course.modules] or [0]))
        .options(selectinload(Material.current_version))
        .order_by(Material.position, Material.id)
    )
    grouped: dict[int, list[Material]] = {}
    for material in materials:
        grouped.setdefault(material.module_id, []).append(material)
    return grouped


def _copy_material(material: Material, module: Module, actor: User) -> Material:
    copy = Material(
        module_id=module.id,
        key=material.key,
        kind=material.kind,
        position=material.position,
        title=dict(material.title),
        description=dict(material.description),
        languages=list(material.languages),
        visibility=material.visibility,
        url=material.url,
        is_published=material.is_published,
        download_count=0,
        created_by_id=actor.id,
    )
    db.session.add(copy)
    return copy


def _copy_file(source: MaterialVersion, material: Material, actor: User) -> MaterialVersion:
    """A copy of the file under a new key (never a shared path), deleted again unless
    the transaction commits."""
    storage = get_storage()
    extension = source.storage_key.rsplit(".", 1)[-1]
    try:
        with storage.open(source.storage_key) as stream, storage.receive(stream, source.size) as incoming:
            if incoming.sha256 != source.sha256:
                raise _missing_file(source)
            key = storage.store(incoming, extension)
    except (OSError, ValueError, TooLarge):
        raise _missing_file(source) from None
    delete_unless_committed(db.session(), storage, key)
    version = MaterialVersion(
        material=material,
        number=1,
        is_current=True,
        storage_key=key,
        filename=source.filename,
        content_type=source.content_type,
        size=source.size,
        sha256=source.sha256,
        uploaded_by_id=actor.id,
    )
    db.session.add(version)
    return version


def _missing_file(source: MaterialVersion) -> ServiceError:
    return ServiceError(
        _l("The file %(name)s of this edition is missing or damaged in storage, so nothing was copied. Upload it again on its module's materials page, then copy the edition.",
           name=source.filename)
    )  # fmt: skip
