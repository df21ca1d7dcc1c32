"""What the exports and the dashboard read about one edition, for every learner at once.

Each loader is one query that returns plain rows (no ORM objects: an edition of 10,000
learners has 60,000 marks), so a report costs a fixed number of queries whatever its
size. Completion (marks, quiz outcomes, exceptions and the rule) comes from
``lms.completion.edition``, the one home of that rule.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.attendance.models import Attendance
from lms.catalogue.models import Course, Module, Run
from lms.certificates.models import Certificate, CertificateStatus
from lms.enrollment.models import ChoiceStatus, Registration, RegistrationStatus, RunChoice
from lms.extensions import db

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


# -- completion and certificates ------------------------------------------------------


def valid_certificates(course: Course) -> dict[int, str]:
    """{learner: the code of their valid certificate}."""
    rows = db.session.execute(
        select(Certificate.user_id, Certificate.code).where(
            Certificate.course_id == course.id, Certificate.status == CertificateStatus.VALID
        )
    )
    return dict(rows.all())
