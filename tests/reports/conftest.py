"""A small edition whose every figure is known, for the exports and the dashboard.

Two modules (m1, m2), each with runs A and B, and a quiz each:

| learner            | m1                 | m2                         | quizzes         | notes                   |
|--------------------|--------------------|----------------------------|-----------------|-------------------------|
| Nguyễn Thị Hương   | A, present 115 min | A, present 110 min         | m1 90, m2 80    | certificate             |
| Đặng Quốc Bảo      | A, late 60 min     | B, absent                  | m1 75, m2 40+55 | organisation =HYPERLINK |
| Trần Văn An        | B, not marked      | waits on A (1st), no seat  | none            | organisation "+84 ..."  |
| Lê Thu Cúc         | A, cancelled       | —                          | —               | cancelled registration  |

Run m2/A has one seat (taken by Hương), so An waits on it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from lms.catalogue.models import Course
from lms.certificates.models import Certificate
from lms.enrollment.models import ChoiceStatus, RegistrationStatus
from lms.quizzes.models import Attempt
from tests.factories import AttendanceFactory, GradedAttemptFactory, UserFactory, course_with_modules, hold
from tests.quizzes.conftest import make_quiz

CODE = "7K2M9QX4HC8D3RTV6WZB1NFJ5PGA"  # 28 Crockford characters
CODE_SHOWN = "7K2M-9QX4-HC8D-3RTV-6WZB-1NFJ-5PGA"
HYPERLINK = '=HYPERLINK("http://evil.example.org","click")'
PHONE = "+84 912 345 678"
MARKED_AT = datetime(2030, 10, 8, 5, 30, tzinfo=UTC)  # 12:30 in Viet Nam


@dataclass
class Edition:
    course: Course
    organiser: object
    trainer: object
    huong: object
    bao: object
    an: object
    cuc: object


def attempt(db, quiz, user, number: int, percent: float, *, minutes_after: int = 0) -> Attempt:
    submitted = datetime(2030, 10, 9, 3, 0, tzinfo=UTC) + timedelta(minutes=minutes_after)
    return GradedAttemptFactory(quiz=quiz, user_id=user.id, number=number, at=submitted, percent=percent)


def mark(db, run, user, status: str, minutes: int | None, marker) -> None:
    AttendanceFactory(run_id=run.id, user_id=user.id, status=status, minutes=minutes,
                      source="zoom" if minutes else "manual", marked_by_id=marker.id, marked_at=MARKED_AT)  # fmt: skip


def build_edition(db, slug: str = "eip-report", extra_learners: int = 0) -> Edition:
    course = course_with_modules(2, 2, slug=slug)
    m1, m2 = course.modules
    m2.runs[0].capacity = 1
    for module in course.modules:
        module.runs[1].label = {"vi": "Lớp B", "en": "Run B"}
    organiser = UserFactory(email=f"organiser@{slug}.org", full_name="Đỗ Minh Châu", roles=["organiser"])
    trainer = UserFactory(email=f"trainer@{slug}.org", full_name="Nguyễn Thị Lan", roles=["trainer"])
    for module in course.modules:
        module.runs[0].trainers.append(trainer)
    huong = UserFactory(email=f"huong@{slug}.org", full_name="Nguyễn Thị Hương", gender="female",
                        province="ha-noi", organisation_type="park_management_board", job_title="Chuyên viên")  # fmt: skip
    bao = UserFactory(email=f"bao@{slug}.org", full_name="Đặng Quốc Bảo", gender="male", province="hai-phong",
                      organisation=HYPERLINK, organisation_type="enterprise", locale="en")  # fmt: skip
    an = UserFactory(email=f"an@{slug}.org", full_name="Trần Văn An", gender="male", province="da-nang",
                     organisation=PHONE, organisation_type="enterprise")  # fmt: skip
    cuc = UserFactory(email=f"cuc@{slug}.org", full_name="Lê Thu Cúc", gender="female", province="ha-noi")
    quizzes = [make_quiz(module) for module in course.modules]
    db.session.add_all(quizzes)
    db.session.flush()

    hold(huong, m1.runs[0])
    hold(huong, m2.runs[0])
    hold(bao, m1.runs[0])
    hold(bao, m2.runs[1])
    hold(an, m1.runs[1])
    hold(an, m2.runs[0], status=ChoiceStatus.WAITING)
    hold(cuc, m1.runs[0], status=ChoiceStatus.CANCELLED, registration_status=RegistrationStatus.CANCELLED)

    mark(db, m1.runs[0], huong, "present", 115, trainer)
    mark(db, m2.runs[0], huong, "present", 110, trainer)
    mark(db, m1.runs[0], bao, "late", 60, trainer)
    mark(db, m2.runs[1], bao, "absent", None, organiser)
    attempt(db, quizzes[0], huong, 1, 90.0)
    attempt(db, quizzes[1], huong, 1, 80.0)
    attempt(db, quizzes[0], bao, 1, 75.0)
    attempt(db, quizzes[1], bao, 1, 40.0)
    attempt(db, quizzes[1], bao, 2, 55.0, minutes_after=30)
    code = CODE if slug == "eip-report" else secrets.token_hex(14).upper()
    db.session.add(
        Certificate(code=code, user_id=huong.id, course_id=course.id, learner_name=huong.full_name)
    )
    add_learners(db, course, quizzes, trainer, extra_learners)
    db.session.commit()
    return Edition(course, organiser, trainer, huong, bao, an, cuc)


def add_learners(db, course, quizzes, marker, count: int) -> None:
    """More learners with seats, marks and attempts: the data grows, the queries must not."""
    for index in range(count):
        learner = UserFactory(full_name=f"Phạm Văn {index}")
        for module, quiz in zip(course.modules, quizzes, strict=True):
            run = module.runs[1]
            run.capacity += 1
            hold(learner, run)
            mark(db, run, learner, "present", 100, marker)
            attempt(db, quiz, learner, 1, 85.0)


@pytest.fixture
def edition(db) -> Edition:
    return build_edition(db)


@pytest.fixture
def organiser_client(client, edition):
    client.sign_in(edition.organiser.email)
    return client
