"""One learner's progress, module by module, for the progress pages and the issuer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from lms.accounts.models import User
from lms.attendance.models import Attendance
from lms.catalogue.models import Course, Module, Run
from lms.completion import rules
from lms.completion.models import CompletionException
from lms.evaluations import requirements
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptStatus, Quiz, QuizPurpose


@dataclass(frozen=True)
class ModuleProgress:
    module: Module
    attendance: Attendance | None  # the best mark over the module's runs
    quiz_percent: float | None  # the highest graded attempt
    quiz_passed: bool
    has_quiz: bool
    exception: CompletionException | None
    evaluation_required: bool = False  # the edition requires the module's evaluation
    evaluated: bool = False

    @property
    def attended(self) -> bool:
        return self.attendance is not None and rules.attended(self.attendance.status)

    @property
    def done(self) -> bool:
        return rules.module_done(
            attended=self.attended,
            quiz_passed=self.quiz_passed,
            has_quiz=self.has_quiz,
            excepted=self.exception is not None,
            evaluation_required=self.evaluation_required,
            evaluated=self.evaluated,
        )


@dataclass(frozen=True)
class Progress:
    course: Course
    modules: list[ModuleProgress]

    @property
    def complete(self) -> bool:
        return bool(self.modules) and all(module.done for module in self.modules)

    @property
    def evaluation_required(self) -> bool:
        return any(module.evaluation_required for module in self.modules)

    @property
    def done_count(self) -> int:
        return sum(module.done for module in self.modules)


def progress(user: User, course: Course) -> Progress:
    """The learner's progress in a fixed number of queries, whatever the course size."""
    module_ids = [module.id for module in course.modules]
    marks = db.session.scalars(
        select(Attendance)
        .join(Run, Run.id == Attendance.run_id)
        .where(Attendance.user_id == user.id, Run.module_id.in_(module_ids))
    ).all()
    quizzes = {
        quiz.module_id: quiz
        # Pre-tests measure prior knowledge and never count for completion.
        for quiz in db.session.scalars(
            select(Quiz).where(Quiz.module_id.in_(module_ids), Quiz.purpose == QuizPurpose.MODULE)
        )
    }
    attempts = db.session.scalars(
        select(Attempt).where(
            Attempt.user_id == user.id,
            Attempt.quiz_id.in_([quiz.id for quiz in quizzes.values()] or [0]),
            Attempt.status == AttemptStatus.GRADED,
        )
    ).all()
    exceptions = {
        exception.module_id: exception
        for exception in db.session.scalars(
            select(CompletionException).where(
                CompletionException.user_id == user.id,
                CompletionException.course_id == course.id,
                CompletionException.revoked_at.is_(None),
            )
        )
    }
    evaluation_forms = requirements.modules_requiring_evaluation(course)
    answered = requirements.evaluated(evaluation_forms, [user.id])
    run_module = dict(
        db.session.execute(select(Run.id, Run.module_id).where(Run.module_id.in_(module_ids))).all()
    )
    best_mark: dict[int, Attendance] = {}
    for mark in marks:
        module_id = run_module.get(mark.run_id)
        if module_id is not None and rules.mark_rank(mark.status) > rules.mark_rank(
            _status(best_mark.get(module_id))
        ):
            best_mark[module_id] = mark
    best_percent: dict[int, Attempt] = {}
    quiz_module = {quiz.id: module_id for module_id, quiz in quizzes.items()}
    for attempt in attempts:
        module_id = quiz_module[attempt.quiz_id]
        if module_id not in best_percent or (attempt.percent or 0) > (best_percent[module_id].percent or 0):
            best_percent[module_id] = attempt
    return Progress(
        course,
        [
            ModuleProgress(
                module=module,
                attendance=best_mark.get(module.id),
                quiz_percent=best_percent[module.id].percent if module.id in best_percent else None,
                quiz_passed=any(a.passed for a in attempts if quiz_module[a.quiz_id] == module.id),
                has_quiz=module.id in quizzes,
                exception=exceptions.get(module.id),
                evaluation_required=module.id in evaluation_forms,
                evaluated=module.id in answered.get(user.id, ()),
            )
            for module in course.modules
        ],
    )


def _status(mark: Attendance | None) -> str | None:
    return None if mark is None else mark.status
