"""Completion for a whole edition at once: the rows the rule reads, loaded in a fixed
number of queries whatever the edition's size (plain rows, no ORM objects: an edition of
10,000 learners has 60,000 marks), and the rule applied to every learner together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from lms.accounts.models import User
from lms.attendance.models import Attendance
from lms.catalogue.models import Course, Module, Run
from lms.completion import rules
from lms.completion.models import CompletionException
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptStatus, Quiz, QuizPurpose

# -- attendance -----------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    run_id: int
    status: str
    minutes: int | None
    source: str
    marked_by: str | None
    marked_at: datetime

    @property
    def attended(self) -> bool:
        return rules.attended(self.status)


def best_marks(course: Course, user_ids: list[int] | None = None) -> dict[tuple[int, int], Mark]:
    """{(learner, module): the best mark over the module's runs}."""
    marker = aliased(User)
    rows = db.session.execute(
        select(
            Attendance.user_id,
            Run.module_id,
            Attendance.run_id,
            Attendance.status,
            Attendance.minutes,
            Attendance.source,
            marker.full_name,
            Attendance.marked_at,
        )
        .join(Run, Run.id == Attendance.run_id)
        .join(Module, Module.id == Run.module_id)
        .outerjoin(marker, marker.id == Attendance.marked_by_id)
        .where(Module.course_id == course.id, *_only(Attendance.user_id, user_ids))
    ).all()
    best: dict[tuple[int, int], Mark] = {}
    for user_id, module_id, *values in rows:
        mark = Mark(*values)
        key = (user_id, module_id)
        if key not in best or rules.mark_rank(mark.status) > rules.mark_rank(best[key].status):
            best[key] = mark
    return best


# -- quizzes --------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizOutcome:
    attempts: int  # submitted, graded or not
    best_percent: float | None  # of the graded attempts
    passed: bool
    last_submitted: datetime | None
    awaiting: int  # submitted, waiting for a trainer to grade an essay


def quiz_modules(course: Course) -> dict[int, int]:
    """{module: its quiz} for the modules that have one."""
    rows = db.session.execute(
        select(Quiz.module_id, Quiz.id)
        .join(Module, Module.id == Quiz.module_id)
        .where(Module.course_id == course.id, Quiz.purpose == QuizPurpose.MODULE)
    )
    return dict(rows.all())


def quiz_outcomes(course: Course, user_ids: list[int] | None = None) -> dict[tuple[int, int], QuizOutcome]:
    """{(learner, module): their quiz attempts summed up}, for learners who submitted one."""
    graded = Attempt.status == AttemptStatus.GRADED
    rows = db.session.execute(
        select(
            Attempt.user_id,
            Quiz.module_id,
            func.count(Attempt.id),
            func.max(case((graded, Attempt.percent))),
            func.max(case((and_(graded, Attempt.passed.is_(True)), 1), else_=0)),
            func.max(Attempt.submitted_at),
            func.sum(case((Attempt.status == AttemptStatus.AWAITING_GRADING, 1), else_=0)),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Module, Module.id == Quiz.module_id)
        .where(
            Module.course_id == course.id,
            Quiz.purpose == QuizPurpose.MODULE,  # pre-tests never count for completion
            Attempt.status != AttemptStatus.IN_PROGRESS,
            *_only(Attempt.user_id, user_ids),
        )
        .group_by(Attempt.user_id, Quiz.module_id)
    )
    return {
        (user_id, module_id): QuizOutcome(count, best, bool(passed), _aware(last), int(awaiting or 0))
        for user_id, module_id, count, best, passed, last, awaiting in rows
    }


def _aware(value: datetime | None) -> datetime | None:
    # Should an aggregate lose the column type, SQLite would hand back naive UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# -- completion ---------------------------------------------------------------------


def open_exceptions(course: Course, user_ids: list[int] | None = None) -> set[tuple[int, int]]:
    rows = db.session.execute(
        select(CompletionException.user_id, CompletionException.module_id).where(
            CompletionException.course_id == course.id,
            CompletionException.revoked_at.is_(None),
            *_only(CompletionException.user_id, user_ids),
        )
    )
    return {tuple(row) for row in rows}


@dataclass
class LearnerProgress:
    attended: set[int] = field(default_factory=set)  # modules with a Present or Late mark
    passed: set[int] = field(default_factory=set)  # modules whose quiz was passed
    done: set[int] = field(default_factory=set)  # modules that count as completed

    def complete(self, module_ids: list[int]) -> bool:
        return bool(module_ids) and all(module_id in self.done for module_id in module_ids)


@dataclass(frozen=True)
class Evidence:
    """Everything the rule reads, for every learner of an edition (four queries)."""

    marks: dict[tuple[int, int], Mark]
    outcomes: dict[tuple[int, int], QuizOutcome]
    quizzes: dict[int, int]
    exceptions: set[tuple[int, int]]


def load_evidence(course: Course, user_ids: list[int] | None = None) -> Evidence:
    """For every learner of the edition, or only those of ``user_ids``."""
    return Evidence(
        best_marks(course, user_ids),
        quiz_outcomes(course, user_ids),
        quiz_modules(course),
        open_exceptions(course, user_ids),
    )


def _only(column, user_ids: list[int] | None) -> tuple:
    """A condition limiting ``column`` to ``user_ids`` (none for the whole edition)."""
    return () if user_ids is None else (column.in_(user_ids or [0]),)


def edition_progress(
    course: Course, user_ids: list[int], evidence: Evidence | None = None
) -> dict[int, LearnerProgress]:
    """Every listed learner's progress, by the rule of ``lms.completion.rules``."""
    evidence = evidence or load_evidence(course)
    table: dict[int, LearnerProgress] = {}
    module_ids = [module.id for module in course.modules]
    for user_id in user_ids:
        progress = table[user_id] = LearnerProgress()
        for module_id in module_ids:
            key = (user_id, module_id)
            mark = evidence.marks.get(key)
            outcome = evidence.outcomes.get(key)
            if mark is not None and mark.attended:
                progress.attended.add(module_id)
            if outcome is not None and outcome.passed:
                progress.passed.add(module_id)
            if rules.module_done(
                attended=module_id in progress.attended,
                quiz_passed=module_id in progress.passed,
                has_quiz=module_id in evidence.quizzes,
                excepted=key in evidence.exceptions,
            ):
                progress.done.add(module_id)
    return table
