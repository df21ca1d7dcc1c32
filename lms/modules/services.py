"""Reading the course catalogue: each page loads what it shows in a fixed number of queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.extensions import db
from lms.modules.models import Course, CourseStatus, Module, Run


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


def find_published_course(slug: str) -> Course | None:
    """The published course with its modules, runs and trainers, or None."""
    return db.session.scalar(
        select(Course)
        .where(Course.slug == slug, Course.status == CourseStatus.PUBLISHED)
        .options(selectinload(Course.modules).selectinload(Module.runs).selectinload(Run.trainers))
    )


def find_module(course: Course, key: str) -> Module | None:
    return next((module for module in course.modules if module.key == key), None)
