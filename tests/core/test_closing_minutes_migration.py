"""Closing times stored before the closing minute counted to its end are moved to its
last instant by the migration, and back by its downgrade; a time typed to the second
stays. On a database of its own, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from lms.catalogue.models import Course
from lms.extensions import db
from lms.quizzes.models import Quiz
from tests.core.test_migrations import empty_app  # noqa: F401  (the fixture: an empty database)
from tests.factories import CourseFactory, ModuleFactory, QuizFactory

BEFORE = "5e1f0c2a7b9d"
WHOLE = datetime(2023, 8, 19, 16, 59, tzinfo=UTC)
TO_THE_SECOND = datetime(2023, 8, 19, 16, 59, 30, tzinfo=UTC)
LAST = WHOLE.replace(second=59, microsecond=999_999)


def stored(ids) -> tuple:
    db.session.expire_all()
    values = (
        db.session.scalar(select(Course.registration_closes_at).where(Course.id == ids[0])),
        db.session.scalar(select(Course.registration_closes_at).where(Course.id == ids[1])),
        db.session.scalar(select(Quiz.closes_at).where(Quiz.id == ids[2])),
    )
    db.session.commit()
    return values


def test_stored_closing_minutes_move_to_their_last_instant_and_back(empty_app):  # noqa: F811
    with empty_app.app_context():
        upgrade()
        course = CourseFactory(slug="old-edition", registration_closes_at=LAST)
        other = CourseFactory(slug="to-the-second", registration_closes_at=TO_THE_SECOND)
        quiz = QuizFactory(module=ModuleFactory(course=course), closes_at=LAST)
        db.session.commit()
        ids = (course.id, other.id, quiz.id)
        db.session.remove()

        downgrade(revision=BEFORE)  # what the platform stored before: the whole minute
        assert stored(ids) == (WHOLE, TO_THE_SECOND, WHOLE)
        db.session.remove()
        upgrade()
        assert stored(ids) == (LAST, TO_THE_SECOND, LAST)
        db.session.remove()
        db.engine.dispose()
