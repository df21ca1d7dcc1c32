"""Completion for a whole edition at once: the rows the rule reads, loaded in a fixed
number of queries whatever the edition's size, and the rule applied to every learner
together in one pass.

An edition of 10,000 learners has 60,000 marks and 50,000 quiz attempts, so what the rule
reads is kept lean: column selects giving one row per learner with their module ids
(``lms.db.grouped_ids``), no ORM objects, no dates converted, statements built once
(``load_evidence``). The detailed rows for
the reports (``best_marks``, ``quiz_outcomes``) are separate and can be handed to
``load_evidence`` so that a report reads each table once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import aliased

from lms.accounts.models import User
from lms.attendance.models import Attendance
from lms.catalogue.models import Course, Run
from lms.completion import rules
from lms.completion.models import CompletionException
from lms.db import grouped_ids, ids_by_key
from lms.evaluations import requirements
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptStatus, Quiz, QuizPurpose

# The statements are built once, each as a pair (every learner, only ``learners``); they
# take the edition's id (``course``) and module ids (``modules``).
MODULES = bindparam("modules", expanding=True)
LEARNERS = bindparam("learners", expanding=True)


def _for_learners(statement, column):
    """(the statement for every learner, the same limited to ``learners``)."""
    return statement, statement.where(column.in_(LEARNERS))


def _run(statements, course: Course, user_ids: list[int] | None):
    """Execute the edition-wide statement, or the one for ``user_ids``."""
    every, some = statements
    values = {"course": course.id, "modules": [module.id for module in course.modules] or [0]}
    if user_ids is None:
        return db.session.execute(every, values)
    return db.session.execute(some, {**values, "learners": list(user_ids) or [0]})


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


_MARKER = aliased(User)
MARKS = _for_learners(
    select(
        Attendance.user_id,
        Run.module_id,
        Attendance.run_id,
        Attendance.status,
        Attendance.minutes,
        Attendance.source,
        _MARKER.full_name,
        Attendance.marked_at,
    )
    .join(Run, Run.id == Attendance.run_id)
    .outerjoin(_MARKER, _MARKER.id == Attendance.marked_by_id)
    .where(Run.module_id.in_(MODULES)),
    Attendance.user_id,
)
STATUSES = _for_learners(
    select(Attendance.user_id, Run.module_id, Attendance.status)
    .join(Run, Run.id == Attendance.run_id)
    .where(Run.module_id.in_(MODULES)),
    Attendance.user_id,
)
# Present or Late in one of the module's runs (such a mark is also the best one).
ATTENDED = _for_learners(
    select(Attendance.user_id, grouped_ids(Run.module_id))
    .join(Run, Run.id == Attendance.run_id)
    .where(Run.module_id.in_(MODULES), Attendance.status.in_(rules.ATTENDED))
    .group_by(Attendance.user_id),
    Attendance.user_id,
)


def _best(rows: Iterable, status_at: int) -> dict[tuple[int, int], tuple]:
    """{(learner, module): the row with the best status}; rows start with learner, module."""
    best: dict[tuple[int, int], tuple] = {}
    ranks: dict[tuple[int, int], int] = {}
    for row in rows:
        key = (row[0], row[1])
        rank = rules.mark_rank(row[status_at])
        if rank > ranks.get(key, -2):
            ranks[key] = rank
            best[key] = row
    return best


def best_marks(course: Course, user_ids: list[int] | None = None) -> dict[tuple[int, int], Mark]:
    """{(learner, module): the best mark over the module's runs}, with who marked it and
    when (the reports show them)."""
    rows = _best(_run(MARKS, course, user_ids), 3)
    return {key: Mark(*row[2:]) for key, row in rows.items()}


def best_statuses(course: Course, user_ids: list[int] | None = None) -> dict[tuple[int, int], str]:
    """{(learner, module): the status of the best mark over the module's runs}: the
    same choice as ``best_marks``, reading only the statuses."""
    return {key: row[2] for key, row in _best(_run(STATUSES, course, user_ids), 2).items()}


def attended_modules(course: Course, user_ids: list[int] | None = None) -> dict[int, set[int]]:
    """{learner: the modules they were marked present or late in (in one of its runs)}."""
    return ids_by_key(_run(ATTENDED, course, user_ids))


# -- quizzes --------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizOutcome:
    attempts: int  # submitted, graded or not
    best_percent: float | None  # of the graded attempts
    passed: bool
    last_submitted: datetime | None
    awaiting: int  # submitted, waiting for a trainer to grade an essay


QUIZ_MODULES = select(Quiz.module_id, Quiz.id).where(
    Quiz.module_id.in_(MODULES), Quiz.purpose == QuizPurpose.MODULE
)


def quiz_modules(course: Course) -> dict[int, int]:
    """{module: its quiz} for the modules that have one."""
    return dict(db.session.execute(QUIZ_MODULES, {"modules": [m.id for m in course.modules] or [0]}).all())


_GRADED = Attempt.status == AttemptStatus.GRADED
OUTCOMES = _for_learners(
    select(
        Attempt.user_id,
        Quiz.module_id,
        func.count(Attempt.id),
        func.max(case((_GRADED, Attempt.percent))),
        func.max(case((and_(_GRADED, Attempt.passed.is_(True)), 1), else_=0)),
        func.max(Attempt.submitted_at),
        func.sum(case((Attempt.status == AttemptStatus.AWAITING_GRADING, 1), else_=0)),
    )
    .join(Quiz, Quiz.id == Attempt.quiz_id)
    .where(
        Quiz.module_id.in_(MODULES),
        Quiz.purpose == QuizPurpose.MODULE,  # pre-tests never count for completion
        Attempt.status != AttemptStatus.IN_PROGRESS,
    )
    .group_by(Attempt.user_id, Quiz.module_id),
    Attempt.user_id,
)
# A graded attempt that passed the module's own quiz (what ``QuizOutcome.passed`` says).
PASSED = _for_learners(
    select(Attempt.user_id, grouped_ids(Quiz.module_id))
    .join(Quiz, Quiz.id == Attempt.quiz_id)
    .where(
        Quiz.module_id.in_(MODULES),
        Quiz.purpose == QuizPurpose.MODULE,
        _GRADED,
        Attempt.passed.is_(True),
    )
    .group_by(Attempt.user_id),
    Attempt.user_id,
)


def quiz_outcomes(course: Course, user_ids: list[int] | None = None) -> dict[tuple[int, int], QuizOutcome]:
    """{(learner, module): their quiz attempts summed up}, for learners who submitted one."""
    return {
        (user_id, module_id): QuizOutcome(count, best, bool(passed), _aware(last), int(awaiting or 0))
        for user_id, module_id, count, best, passed, last, awaiting in _run(OUTCOMES, course, user_ids)
    }


def passed_quizzes(course: Course, user_ids: list[int] | None = None) -> dict[int, set[int]]:
    """{learner: the modules whose quiz they passed}."""
    return ids_by_key(_run(PASSED, course, user_ids))


def _aware(value: datetime | None) -> datetime | None:
    # Should an aggregate lose the column type, SQLite would hand back naive UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# -- completion ---------------------------------------------------------------------

EXCEPTIONS = _for_learners(
    select(CompletionException.user_id, CompletionException.module_id).where(
        CompletionException.course_id == bindparam("course"),
        CompletionException.module_id.in_(MODULES),
        CompletionException.revoked_at.is_(None),
    ),
    CompletionException.user_id,
)


def open_exceptions(course: Course, user_ids: list[int] | None = None) -> set[tuple[int, int]]:
    return {(user_id, module_id) for user_id, module_id in _run(EXCEPTIONS, course, user_ids)}


@dataclass
class LearnerProgress:
    attended: set[int] = field(default_factory=set)  # modules with a Present or Late mark
    passed: set[int] = field(default_factory=set)  # modules whose quiz was passed
    done: set[int] = field(default_factory=set)  # modules that count as completed

    def complete(self, module_ids: list[int]) -> bool:
        return bool(module_ids) and all(module_id in self.done for module_id in module_ids)


@dataclass(frozen=True)
class Evidence:
    """Everything the rule reads, for every learner of an edition (six queries)."""

    attended: dict[int, set[int]]  # {learner: modules with a Present or Late mark in one of their runs}
    passed: dict[int, set[int]]  # {learner: modules whose quiz they passed}
    quizzes: dict[int, int]  # {module: its quiz}
    exceptions: set[tuple[int, int]]
    evaluation_forms: dict[int, int]  # {module: its form} when the evaluation is required
    evaluated: dict[int, set[int]]  # {learner: modules whose evaluation they answered}


def load_evidence(
    course: Course,
    user_ids: list[int] | None = None,
    *,
    marks: dict[tuple[int, int], Mark] | None = None,
    outcomes: dict[tuple[int, int], QuizOutcome] | None = None,
) -> Evidence:
    """For every learner of the edition, or only those of ``user_ids``. A report that
    loaded the best marks or the quiz outcomes of the same learners passes them, and
    they are not read again."""
    if marks is None:
        attended = attended_modules(course, user_ids)
    else:
        attended = _grouped(key for key, mark in marks.items() if mark.attended)
    if outcomes is None:
        passed = passed_quizzes(course, user_ids)
    else:
        passed = _grouped(key for key, outcome in outcomes.items() if outcome.passed)
    evaluation_forms = requirements.modules_requiring_evaluation(course)
    return Evidence(
        attended,
        passed,
        quiz_modules(course),
        open_exceptions(course, user_ids),
        evaluation_forms,
        requirements.evaluated(evaluation_forms, user_ids),
    )


def _grouped(pairs: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    """(learner, module) pairs as {learner: modules}."""
    found: dict[int, set[int]] = {}
    for user_id, module_id in pairs:
        found.setdefault(user_id, set()).add(module_id)
    return found


def edition_progress(
    course: Course, user_ids: list[int], evidence: Evidence | None = None
) -> dict[int, LearnerProgress]:
    """Every listed learner's progress, by the rule of ``lms.completion.rules``."""
    evidence = evidence or load_evidence(course)
    module_ids = [module.id for module in course.modules]
    wanted = set(module_ids)
    # What the rule asks of each module, looked up once rather than per learner.
    conditions = [
        (module_id, module_id in evidence.quizzes, module_id in evidence.evaluation_forms)
        for module_id in module_ids
    ]
    nothing: set[int] = set()
    exceptions = evidence.exceptions
    table: dict[int, LearnerProgress] = {}
    for user_id in user_ids:
        attended = evidence.attended.get(user_id, nothing) & wanted
        passed = evidence.passed.get(user_id, nothing) & wanted
        evaluated = evidence.evaluated.get(user_id, nothing)
        progress = table[user_id] = LearnerProgress(attended, passed)
        for module_id, has_quiz, evaluation_required in conditions:
            if rules.module_done(
                attended=module_id in attended,
                quiz_passed=module_id in passed,
                has_quiz=has_quiz,
                excepted=(user_id, module_id) in exceptions,
                evaluation_required=evaluation_required,
                evaluated=module_id in evaluated,
            ):
                progress.done.add(module_id)
    return table
