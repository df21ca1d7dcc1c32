"""The quizzes' part of copying an edition: each module's quiz with its current
questions, its opening and closing moved like the runs; no attempts."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.catalogue.models import Module
from lms.deadlines import shift_local
from lms.extensions import db
from lms.quizzes.models import Quiz
from lms.quizzes.services import copy_question


def copy_for_edition(modules: Mapping[int, Module], tz: ZoneInfo, days: int) -> int:
    """Copy the quizzes (module quiz and pre-test) of every module in ``modules``
    ({old module id: its copy}); how many."""
    quizzes = _quizzes_of(modules)
    for quiz in quizzes:
        _copy_quiz(quiz, modules[quiz.module_id], tz, days)
    return len(quizzes)


def _quizzes_of(module_ids) -> list[Quiz]:
    return list(
        db.session.scalars(
            select(Quiz)
            .where(Quiz.module_id.in_(list(module_ids) or [0]))
            .options(selectinload(Quiz.questions))
            .order_by(Quiz.id)
        )
    )


def _copy_quiz(quiz: Quiz, module: Module, tz: ZoneInfo, days: int) -> Quiz:
    copy = Quiz(
        module_id=module.id,
        purpose=quiz.purpose,
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
    copy.questions = [copy_question(question) for question in quiz.active_questions]
    db.session.add(copy)
    return copy
