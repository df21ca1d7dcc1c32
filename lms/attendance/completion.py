"""What a learner has completed, module by module.

The default rule (course settings): for each module, Present or Late in one of its runs,
and a passed quiz. An organiser may record an exception for a module, with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.attendance.models import Attendance, AttendanceStatus, CompletionException
from lms.audit.models import record
from lms.db import utcnow
from lms.errors import ServiceError
from lms.extensions import db
from lms.modules.models import Course, Module, Run
from lms.quizzes.models import Attempt, AttemptStatus, Quiz
from lms.signals import progress_changed

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


@dataclass(frozen=True)
class ModuleProgress:
    module: Module
    attendance: Attendance | None  # the best mark over the module's runs
    quiz_percent: float | None  # the highest graded attempt
    quiz_passed: bool
    has_quiz: bool
    exception: CompletionException | None

    @property
    def attended(self) -> bool:
        return self.attendance is not None and self.attendance.status in ATTENDED

    @property
    def done(self) -> bool:
        if self.exception is not None:
            return True
        quiz_ok = self.quiz_passed or not self.has_quiz
        return self.attended and quiz_ok


@dataclass(frozen=True)
class Progress:
    course: Course
    modules: list[ModuleProgress]

    @property
    def complete(self) -> bool:
        return bool(self.modules) and all(module.done for module in self.modules)

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
        for quiz in db.session.scalars(select(Quiz).where(Quiz.module_id.in_(module_ids)))
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
    run_module = dict(
        db.session.execute(select(Run.id, Run.module_id).where(Run.module_id.in_(module_ids))).all()
    )
    best_mark: dict[int, Attendance] = {}
    for mark in marks:
        module_id = run_module.get(mark.run_id)
        if module_id is not None and _rank(mark) > _rank(best_mark.get(module_id)):
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
            )
            for module in course.modules
        ],
    )


def _rank(mark: Attendance | None) -> int:
    order = {AttendanceStatus.PRESENT: 3, AttendanceStatus.LATE: 2, AttendanceStatus.EXCUSED: 1}
    return -1 if mark is None else order.get(mark.status, 0)


def record_exception(user: User, module: Module, reason: str, actor: User) -> CompletionException:
    """An organiser counts a module as done for a learner, with a reason (logged)."""
    if not reason.strip():
        raise ServiceError(_l("Please give the reason; it is kept in the audit log."))
    if active_exception(user, module) is not None:
        raise ServiceError(_l("An exception for this module is already recorded for this learner."))
    exception = CompletionException(
        user_id=user.id, course_id=module.course_id, module_id=module.id, reason=reason.strip(),
        recorded_by_id=actor.id, recorded_at=utcnow(),
    )  # fmt: skip
    db.session.add(exception)
    db.session.flush()
    record("completion_exception", exception, actor=actor, course_id=module.course_id, learner_id=user.id,
           module_id=module.id, reason=exception.reason)  # fmt: skip
    progress_changed.send(module.course_id, user_ids=[user.id])
    return exception


def active_exception(user: User, module: Module) -> CompletionException | None:
    return db.session.scalar(
        select(CompletionException).where(
            CompletionException.user_id == user.id,
            CompletionException.module_id == module.id,
            CompletionException.revoked_at.is_(None),
        )
    )


def exceptions_of(user: User, course: Course) -> list[CompletionException]:
    """Every exception recorded for the learner in the course, revoked ones too."""
    return list(
        db.session.scalars(
            select(CompletionException)
            .where(CompletionException.user_id == user.id, CompletionException.course_id == course.id)
            .options(
                selectinload(CompletionException.module),
                selectinload(CompletionException.recorded_by),
                selectinload(CompletionException.revoked_by),
            )
            .order_by(CompletionException.id)
        )
    )


def revoke_exception(exception: CompletionException, reason: str, actor: User) -> None:
    """The module no longer counts as done by exception; the record stays, with why."""
    if exception.revoked_at is not None:
        raise ServiceError(_l("This exception was already revoked."))
    if not reason.strip():
        raise ServiceError(_l("Please give the reason for revoking; it is kept in the audit log."))
    exception.revoked_at, exception.revoked_by_id, exception.revoke_reason = (
        utcnow(),
        actor.id,
        reason.strip(),
    )
    record("completion_exception_revoked", exception, actor=actor, course_id=exception.course_id,
           learner_id=exception.user_id, module_id=exception.module_id, reason=exception.revoke_reason)  # fmt: skip
