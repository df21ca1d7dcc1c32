"""What the exports and the dashboard read about one edition, for every learner at once.

Each loader is one query that returns plain rows (no ORM objects: an edition of 10,000
learners has 60,000 marks), so a report costs a fixed number of queries whatever its
size. ``progress_table`` applies the completion rule of ``lms.attendance.completion``
to those rows for every learner together.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased, selectinload

from lms.accounts.models import User
from lms.attendance.models import Attendance, AttendanceStatus, CompletionException
from lms.certificates.models import Certificate, CertificateStatus
from lms.enrollment.models import ChoiceStatus, Registration, RegistrationStatus, RunChoice
from lms.extensions import db
from lms.modules.models import Course, Module, Run
from lms.quizzes.models import Attempt, AttemptStatus, Quiz

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
# Which of two marks of the same module counts (as lms.attendance.completion ranks them).
MARK_RANK = {AttendanceStatus.PRESENT: 3, AttendanceStatus.LATE: 2, AttendanceStatus.EXCUSED: 1}
CURRENT = (ChoiceStatus.CONFIRMED, ChoiceStatus.WAITING)


def find_course(slug: str) -> Course | None:
    """The edition with its modules and runs, whatever its status (organisers report on drafts too)."""
    return db.session.scalar(
        select(Course)
        .where(Course.slug == slug)
        .options(selectinload(Course.modules).selectinload(Module.runs))
    )


def local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A stored UTC time as the course's wall-clock time, for spreadsheets (no zones there)."""
    return None if value is None else value.astimezone(zone).replace(tzinfo=None)


def name_key(name: str) -> tuple[str, str]:
    """Sort key that puts "Đặng" with the Ds and ignores tone marks, as a Vietnamese reader expects."""
    decomposed = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return plain.casefold(), name


# -- learners -------------------------------------------------------------------------


@dataclass(frozen=True)
class Learner:
    user_id: int
    full_name: str
    email: str
    organisation: str
    organisation_type: str
    job_title: str
    province: str
    gender: str
    locale: str
    registration_status: str
    registered_at: datetime
    cancelled_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.registration_status == RegistrationStatus.ACTIVE


def learners(course: Course, include_cancelled: bool = False) -> list[Learner]:
    """The edition's registered learners with their profile, by name."""
    statement = (
        select(
            User.id,
            User.full_name,
            User.email,
            User.organisation,
            User.organisation_type,
            User.job_title,
            User.province,
            User.gender,
            User.locale,
            Registration.status,
            Registration.created_at,
            Registration.cancelled_at,
        )
        .join(Registration, Registration.user_id == User.id)
        .where(Registration.course_id == course.id)
    )
    if not include_cancelled:
        statement = statement.where(Registration.status == RegistrationStatus.ACTIVE)
    rows = [Learner(*row) for row in db.session.execute(statement)]
    return sorted(rows, key=lambda learner: (name_key(learner.full_name), learner.user_id))


# -- run choices ----------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    run_id: int
    status: str
    waiting_position: int | None


def choices(course: Course) -> dict[tuple[int, int], Choice]:
    """{(learner, module): the choice that describes them}: the current one (a seat or a
    waiting place), else the latest (switched away, left, cancelled)."""
    rows = db.session.execute(
        select(RunChoice.user_id, RunChoice.module_id, RunChoice.run_id, RunChoice.status)
        .join(Module, Module.id == RunChoice.module_id)
        .where(Module.course_id == course.id)
        .order_by(RunChoice.id)
    ).all()
    # Waiting lists are first come, first served: the order of the choices' ids.
    waiting_counter: dict[int, int] = {}
    chosen: dict[tuple[int, int], Choice] = {}
    for user_id, module_id, run_id, status in rows:
        position = None
        if status == ChoiceStatus.WAITING:
            position = waiting_counter[run_id] = waiting_counter.get(run_id, 0) + 1
        key = (user_id, module_id)
        previous = chosen.get(key)
        if previous is None or status in CURRENT or previous.status not in CURRENT:
            chosen[key] = Choice(run_id, status, position)
    return chosen


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
        return self.status in ATTENDED


def best_marks(course: Course) -> dict[tuple[int, int], Mark]:
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
        .where(Module.course_id == course.id)
    ).all()
    best: dict[tuple[int, int], Mark] = {}
    for user_id, module_id, *values in rows:
        mark = Mark(*values)
        key = (user_id, module_id)
        if key not in best or MARK_RANK.get(mark.status, 0) > MARK_RANK.get(best[key].status, 0):
            best[key] = mark
    return best


def attendance_per_run(course: Course) -> dict[int, dict[str, int]]:
    """{run: {status: count, "unmarked": seat holders without a mark}}, in two queries."""
    counts: dict[int, dict[str, int]] = {}
    marks = db.session.execute(
        select(Attendance.run_id, Attendance.status, func.count())
        .join(Run, Run.id == Attendance.run_id)
        .join(Module, Module.id == Run.module_id)
        .where(Module.course_id == course.id)
        .group_by(Attendance.run_id, Attendance.status)
    )
    for run_id, status, count in marks:
        counts.setdefault(run_id, {})[status] = count
    marked = exists().where(Attendance.run_id == RunChoice.run_id, Attendance.user_id == RunChoice.user_id)
    unmarked = db.session.execute(
        select(RunChoice.run_id, func.count())
        .join(Registration, Registration.id == RunChoice.registration_id)
        .join(Module, Module.id == RunChoice.module_id)
        .where(
            Module.course_id == course.id,
            RunChoice.status == ChoiceStatus.CONFIRMED,
            Registration.status == RegistrationStatus.ACTIVE,
            ~marked,
        )
        .group_by(RunChoice.run_id)
    )
    for run_id, count in unmarked:
        counts.setdefault(run_id, {})["unmarked"] = count
    return counts


def waiting_per_run(course: Course) -> dict[int, int]:
    rows = db.session.execute(
        select(RunChoice.run_id, func.count())
        .join(Module, Module.id == RunChoice.module_id)
        .where(Module.course_id == course.id, RunChoice.status == ChoiceStatus.WAITING)
        .group_by(RunChoice.run_id)
    )
    return dict(rows.all())


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
        .where(Module.course_id == course.id)
    )
    return dict(rows.all())


def quiz_outcomes(course: Course) -> dict[tuple[int, int], QuizOutcome]:
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
        .where(Module.course_id == course.id, Attempt.status != AttemptStatus.IN_PROGRESS)
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


# -- completion and certificates ------------------------------------------------------


def open_exceptions(course: Course) -> set[tuple[int, int]]:
    rows = db.session.execute(
        select(CompletionException.user_id, CompletionException.module_id).where(
            CompletionException.course_id == course.id, CompletionException.revoked_at.is_(None)
        )
    )
    return {tuple(row) for row in rows}


def valid_certificates(course: Course) -> dict[int, str]:
    """{learner: the code of their valid certificate}."""
    rows = db.session.execute(
        select(Certificate.user_id, Certificate.code).where(
            Certificate.course_id == course.id, Certificate.status == CertificateStatus.VALID
        )
    )
    return dict(rows.all())


def display_code(code: str | None) -> str:
    """A certificate code as printed: groups of four characters joined by dashes."""
    if not code:
        return ""
    return "-".join(code[index : index + 4] for index in range(0, len(code), 4))


@dataclass
class LearnerProgress:
    attended: set[int] = field(default_factory=set)  # modules with a Present or Late mark
    passed: set[int] = field(default_factory=set)  # modules whose quiz was passed
    done: set[int] = field(default_factory=set)  # modules that count as completed


def progress_table(
    course: Course,
    user_ids: list[int],
    marks: dict[tuple[int, int], Mark],
    outcomes: dict[tuple[int, int], QuizOutcome],
    quizzes: dict[int, int],
    exceptions: set[tuple[int, int]],
) -> dict[int, LearnerProgress]:
    """Every learner's progress from rows already loaded: the rule of
    ``lms.attendance.completion.progress`` (attended and quiz passed, or an exception)."""
    table: dict[int, LearnerProgress] = {}
    module_ids = [module.id for module in course.modules]
    for user_id in user_ids:
        progress = table[user_id] = LearnerProgress()
        for module_id in module_ids:
            key = (user_id, module_id)
            mark = marks.get(key)
            outcome = outcomes.get(key)
            if mark is not None and mark.attended:
                progress.attended.add(module_id)
            if outcome is not None and outcome.passed:
                progress.passed.add(module_id)
            quiz_ok = module_id in progress.passed or module_id not in quizzes
            if key in exceptions or (module_id in progress.attended and quiz_ok):
                progress.done.add(module_id)
    return table
