"""Reading the course catalogue: each page loads what it shows in a fixed number of queries."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import Role, User
from lms.catalogue.models import Course, CourseStatus, Module, Run, run_trainer
from lms.extensions import db


def published_courses() -> list[Course]:
    """Published courses, the most recent registration deadline first."""
    return list(
        db.session.scalars(
            select(Course)
            .where(Course.status == CourseStatus.PUBLISHED)
            .options(selectinload(Course.modules).selectinload(Module.runs))
            .order_by(Course.registration_closes_at.desc(), Course.id)
        )
    )


@lru_cache(maxsize=1)
def _published_course_statement():
    # Built once per process: most pages of an edition start here, and building the
    # statement with its loader options cost about as much as running it. One query (a
    # row per run and trainer, a few dozen): on PostgreSQL each query is a round trip.
    return (
        select(Course)
        .where(Course.slug == bindparam("slug"), Course.status == CourseStatus.PUBLISHED)
        .options(
            joinedload(Course.modules).joinedload(Module.runs).joinedload(Run.trainers).lazyload(User.roles)
        )
    )


def find_published_course(slug: str) -> Course | None:
    """The published course with its modules, runs and trainers, or None."""
    return db.session.execute(_published_course_statement(), {"slug": slug}).unique().scalar_one_or_none()


@lru_cache(maxsize=1)
def _published_module_statement():
    return (
        select(Module)
        .join(Course, Course.id == Module.course_id)
        .where(
            Course.slug == bindparam("slug"),
            Course.status == CourseStatus.PUBLISHED,
            Module.key == bindparam("key"),
        )
        .options(
            joinedload(Module.course),
            # One query: a module has two runs or so, each a trainer or two.
            joinedload(Module.runs).joinedload(Run.trainers).lazyload(User.roles),
        )
    )


def find_published_module(slug: str, key: str) -> Module | None:
    """A module of a published edition with its edition, its runs and their trainers, or
    None: what a module's page shows, without the edition's other modules and runs."""
    found = db.session.execute(_published_module_statement(), {"slug": slug, "key": key})
    return found.unique().scalar_one_or_none()


def trainers_shown():
    """Loads a run's trainers as pages show them, by name: without their roles (which
    a User otherwise loads with it, one more query)."""
    return selectinload(Run.trainers).lazyload(User.roles)


def find_module(course: Course, key: str) -> Module | None:
    return next((module for module in course.modules if module.key == key), None)


def teaches_in(user, course_id: int) -> bool:
    """True when ``user`` teaches any run of the course edition."""
    return (
        db.session.scalar(
            select(run_trainer.c.run_id)
            .join(Run, Run.id == run_trainer.c.run_id)
            .join(Module, Module.id == Run.module_id)
            .where(run_trainer.c.user_id == user.id, Module.course_id == course_id)
            .limit(1)
        )
        is not None
    )


def taught_module_keys(user, course_id: int) -> list[str]:
    """The keys of the edition's modules in which ``user`` teaches a run."""
    return list(
        db.session.scalars(
            select(Module.key)
            .join(Run, Run.module_id == Module.id)
            .join(run_trainer, run_trainer.c.run_id == Run.id)
            .where(run_trainer.c.user_id == user.id, Module.course_id == course_id)
            .distinct()
        )
    )


def can_manage_course(user, course_id: int) -> bool:
    """Organisers manage every course; trainers the editions whose runs they teach.

    The one rule for materials, quizzes, grading and attendance alike.
    """
    if user is None or not user.is_authenticated:
        return False
    if user.has_role(Role.ORGANISER):
        return True
    return user.has_role(Role.TRAINER) and teaches_in(user, course_id)


def editions_by_id() -> dict[int, Course]:
    """Every edition, drafts included, keyed by id in the order of their slugs (the
    organisers' filters on the audit and outgoing-mail pages)."""
    return {course.id: course for course in db.session.scalars(select(Course).order_by(Course.slug))}
