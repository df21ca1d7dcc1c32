"""Retention: learners are de-identified ``LMS_RETENTION_YEARS`` after the end of the
last edition they registered for, unless they chose to keep their account. The dry run
and the real run choose people with the same function, so they agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import Role, User
from lms.catalogue.models import Course, Module
from lms.db import utcnow, write_intent
from lms.enrollment.models import Registration
from lms.extensions import db
from lms.privacy.deidentify import BY_RETENTION, deidentify


@dataclass(frozen=True)
class Due:
    user_id: int
    email: str
    full_name: str
    last_edition_ended_at: datetime


def cutoff(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def _edition_ends() -> dict[int, datetime | None]:
    courses = db.session.scalars(
        select(Course).options(selectinload(Course.modules).selectinload(Module.runs))
    )
    return {course.id: course.ends_at for course in courses}


def due_for_retention(now: datetime | None = None) -> list[Due]:
    """Learners whose every edition ended before the cut-off (an edition without
    runs has not ended), still identified and not keeping their account; trainers
    and organisers are staff, not covered."""
    now = now or utcnow()
    limit = cutoff(now, current_app.config["RETENTION_YEARS"])
    ends = _edition_ends()
    last_end: dict[int, datetime | None] = {}
    for user_id, course_id in db.session.execute(select(Registration.user_id, Registration.course_id)):
        end = ends.get(course_id)
        previous = last_end.get(user_id, datetime.min.replace(tzinfo=limit.tzinfo))
        last_end[user_id] = None if end is None or previous is None else max(previous, end)
    candidates = [user_id for user_id, end in last_end.items() if end is not None and end < limit]
    if not candidates:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(candidates), User.deidentified_at.is_(None),
                                                  User.keep_account.is_(False)).order_by(User.id))  # fmt: skip
    return [
        Due(user.id, user.email, user.full_name, last_end[user.id])
        for user in users
        if not (user.has_role(Role.ORGANISER) or user.has_role(Role.TRAINER))
    ]


def apply_retention(now: datetime | None = None) -> list[Due]:
    """De-identify everyone due, one short transaction each; returns who."""
    with write_intent(False):
        due = due_for_retention(now)
        db.session.commit()
    done = []
    for person in due:
        with write_intent(True):
            user = db.session.get(User, person.user_id)
            if user is not None and user.deidentified_at is None and not user.keep_account:
                deidentify(user, BY_RETENTION)
                done.append(person)
            db.session.commit()
    return done
