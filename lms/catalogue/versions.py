"""Version keys of what the public pages, the API and the course calendar show of an
edition, each read with one lean query (no ORM objects): lms.caching turns them into
ETags and guest-cache keys.

Seats are apart from the rest, since they change with every registration: guests may
be shown them a few seconds old (``GUEST_SEATS_SECONDS``) so that a burst of
registrations does not re-render the page for every guest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import current_app, g
from sqlalchemy import Text, bindparam, select, type_coerce

from lms.accounts.models import User
from lms.caching.store import cache
from lms.caching.versions import digest, read_rows
from lms.catalogue.models import Course, CourseStatus, Module, Run, run_trainer


@dataclass(frozen=True)
class EditionVersion:
    """What an edition's pages show apart from seats, as a digest, with the times the
    page's wording depends on (the registration window, when runs end)."""

    course_id: int
    key: str
    opens_at: datetime
    closes_at: datetime
    run_ends: tuple[datetime, ...]


def _text(column):
    # the stored JSON as the driver returns it: compared, never decoded into dicts
    return type_coerce(column, Text)


@lru_cache(maxsize=2)
def _edition_statement(by_slug: bool):
    """Built once per process (building a statement costs more than running it here)."""
    conditions = [Course.status == CourseStatus.PUBLISHED]
    if by_slug:
        conditions.append(Course.slug == bindparam("slug"))
    return (
        select(
            Course.id,
            Course.slug,
            Course.updated_at,
            Course.status,
            Course.timezone,
            Course.registration_opens_at,
            Course.registration_closes_at,
            Module.id,
            Module.key,
            Module.position,
            Module.duration_minutes,
            _text(Module.title),
            Run.id,
            Run.key,
            _text(Run.label),
            Run.starts_at,
            Run.ends_at,
            Run.capacity,
            Run.status,
            Run.sequence,
            User.id,
            User.full_name,
        )
        .select_from(Course)
        .outerjoin(Module, Module.course_id == Course.id)
        .outerjoin(Run, Run.module_id == Module.id)
        .outerjoin(run_trainer, run_trainer.c.run_id == Run.id)
        .outerjoin(User, User.id == run_trainer.c.user_id)
        .where(*conditions)
        .order_by(Course.id, Module.id, Run.id, User.id)
    )


def _versions(rows) -> list[EditionVersion]:
    by_course: dict[int, list] = {}
    for row in rows:
        by_course.setdefault(row[0], []).append(tuple(row))
    return [
        EditionVersion(
            course_id=course_id,
            key=digest(course_rows),
            opens_at=course_rows[0][5],
            closes_at=course_rows[0][6],
            run_ends=tuple(sorted({row[16] for row in course_rows if row[16] is not None})),
        )
        for course_id, course_rows in by_course.items()
    ]


def edition_version(slug: str) -> EditionVersion | None:
    """The published edition's version (course, modules, runs, trainers), or None."""
    found = _versions(read_rows(_edition_statement(True), {"slug": slug}))
    return found[0] if found else None


def published_editions_version() -> list[EditionVersion]:
    """Every published edition's version, for the catalogue."""
    return _versions(read_rows(_edition_statement(False)))


@lru_cache(maxsize=1)
def _module_text_statement():
    return select(Module.id, _text(Module.outline), _text(Module.objectives)).where(
        Module.course_id == bindparam("course_id"), Module.key == bindparam("key")
    )


def module_text_version(course_id: int, key: str) -> tuple[int, str] | None:
    """A module's id and the digest of its own texts (outline, objectives), or None
    when the edition has no such module."""
    rows = read_rows(_module_text_statement(), {"course_id": course_id, "key": key})
    return (rows[0][0], digest(rows[0])) if rows else None


@lru_cache(maxsize=1)
def _seats_statement():
    return (
        select(Run.id, Run.taken)
        .join(Module, Module.id == Run.module_id)
        .where(Module.course_id == bindparam("course_id"))
        .order_by(Run.id)
    )


def live_seats_version(course_id: int) -> str:
    """The seats taken in every run of the edition, now."""
    return digest(read_rows(_seats_statement(), {"course_id": course_id}))


def guest_seats_version(course_id: int, *, fresh: bool = False) -> str:
    """The seats as guests see them: read at most every ``GUEST_SEATS_SECONDS``, or
    now with ``fresh`` (before rendering a page, so that its key says what it shows).
    Read live at most once per request."""
    read_live = g.setdefault("seats_read_live", {})
    if course_id in read_live:
        return read_live[course_id]
    seconds = current_app.config.get("GUEST_SEATS_SECONDS", 5)
    remembered_seats = None if fresh or seconds <= 0 else cache.get(f"seats:{course_id}")
    if remembered_seats is not None:
        return remembered_seats
    read_live[course_id] = live_seats_version(course_id)
    if seconds > 0:
        cache.set(f"seats:{course_id}", read_live[course_id], timeout=seconds)
    return read_live[course_id]
