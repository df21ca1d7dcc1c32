"""Editions and their modules as organisers set them up: reading them, creating and
editing them, ordering modules. Times arrive as typed, local to the course's zone, and
are stored in UTC. Functions flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.content import KEY
from lms.catalogue.models import Course, CourseStatus, Module, Run
from lms.deadlines import last_instant
from lms.errors import FieldError
from lms.extensions import db
from lms.organise.checks import (
    check_slug,
    clean_lists,
    clean_texts,
    require_default_language,
    to_utc,
    zone_named,
)

# The audit log's actions recorded here (lms.audit.actions).
EDITION_CREATED = declare_action(
    "edition.created",
    _l("Created an edition"),
    slug=Detail(_l("Address")),
)
EDITION_UPDATED = declare_action(
    "edition.updated",
    _l("Changed an edition"),
    fields=Detail(_l("Changed"), Shown.LIST),
)
MODULE_CREATED = declare_action(
    "module.created",
    _l("Added a module"),
    key=Detail(_l("Key")),
    position=Detail(_l("Position"), Shown.NUMBER),
)
MODULE_UPDATED = declare_action(
    "module.updated",
    _l("Changed a module"),
    fields=Detail(_l("Changed"), Shown.LIST),
)
MODULE_MOVED = declare_action(
    "module.moved",
    _l("Moved a module"),
    position=Detail(_l("Position"), Shown.NUMBER),
)


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
    lists = clean_lists(issuers)
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
    title = clean_texts(details.title)
    require_default_language(title, "title", _l("Please enter the title in Vietnamese."))
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
        "summary": clean_texts(details.summary),
        "organisers": clean_texts(details.organisers),
        "audience": clean_lists(details.audience),
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
    record(EDITION_CREATED, course, actor=actor, course_id=course.id, slug=course.slug)
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
        record(EDITION_UPDATED, course, actor=actor, course_id=course.id, fields=changed)
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
    title = clean_texts(details.title)
    require_default_language(title, "title", _l("Please enter the module's title in Vietnamese."))
    if not 1 <= details.duration_minutes <= 24 * 60:
        raise FieldError("duration_minutes", _l("Please enter a duration from 1 to 1440 minutes."))
    return {
        "title": title,
        "outline": clean_texts(details.outline),
        "objectives": clean_lists(details.objectives),
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
    record(MODULE_CREATED, module, actor=actor, course_id=course.id, key=key, position=module.position)
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
        record(MODULE_UPDATED, module, actor=actor, course_id=module.course_id, fields=changed)
    return changed


def move_module(module: Module, offset: int, actor: User) -> bool:
    """Move a module up (-1) or down (+1); False at either end."""
    target = module.position + offset
    if offset == 0 or not 1 <= target <= len(module.course.modules):
        return False
    _place(module.course, module, target)
    record(MODULE_MOVED, module, actor=actor, course_id=module.course_id, position=module.position)
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
