"""A learner with something in every place that holds personal data, beside another
learner whose data must stay, in one edition whose dashboard they both count in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from lms.audit.models import record
from lms.certificates.services import CERTIFICATE_REVOKED
from lms.completion.exceptions import EXCEPTION_RECORDED
from lms.extensions import db
from lms.mail.outbox import queue_email
from lms.quizzes.models import Answer
from tests.factories import (
    AttendanceFactory,
    CertificateFactory,
    CompletionExceptionFactory,
    CourseFactory,
    GradedAttemptFactory,
    ModuleFactory,
    RunFactory,
    UserFactory,
    hold,
)
from tests.quizzes.conftest import ESSAY, make_quiz

PASSWORD = "correct horse battery"


@dataclass
class Person:
    user_id: int
    other_id: int
    organiser_id: int
    course_id: int
    certificate_code: str
    # every value that names the person or that they wrote: none may remain
    secrets: tuple[str, ...]


def build_person(
    course=None, ends_days_ago: int | None = None, email: str = "bichngoc.rieng@example.org"
) -> Person:
    """The learner and their data; ``ends_days_ago`` places the edition's runs in the past."""
    now = datetime.now(UTC)
    start = now - timedelta(days=ends_days_ago) if ends_days_ago is not None else now - timedelta(days=2)
    course = course or CourseFactory()
    module = ModuleFactory(course=course, position=1, key="m1")
    run = RunFactory(module=module, starts_at=start - timedelta(hours=2), ends_at=start)
    organiser = UserFactory(roles=["organiser"])
    user = UserFactory(
        email=email, full_name="Trần Thị Bích Ngọc Riêng", organisation="Công ty Xanh Riêng",
        job_title="Chuyên viên môi trường riêng", province="hai-phong", gender="female",
    )  # fmt: skip
    other = UserFactory(province="hai-phong", gender="male")
    essay_text = "Khu công nghiệp của tôi sẽ tái sử dụng nước thải riêng"
    reason_text = "Bà Bích Ngọc ốm nặng trong tuần học"
    for learner in (user, other):
        hold(learner, run)
        AttendanceFactory(run=run, user=learner, note=f"ghi chú về {learner.full_name}", status="present")
    quiz = make_quiz(module, questions=[ESSAY])
    attempt = GradedAttemptFactory(quiz=quiz, user=user)
    question = quiz.questions[0]
    db.session.add(Answer(attempt=attempt, question_id=question.id, snapshot=question.snapshot(), response=essay_text,
                          manual_score=3.0, grader_feedback=f"Tốt lắm, {user.full_name}"))  # fmt: skip
    GradedAttemptFactory(quiz=quiz, user=other)
    exception = CompletionExceptionFactory(user_id=user.id, course_id=course.id, module=module,
                                           reason=reason_text, recorded_by=organiser)  # fmt: skip
    record(EXCEPTION_RECORDED, exception, actor=organiser, course_id=course.id, learner_id=user.id,
           module_id=module.id, reason=reason_text)  # fmt: skip
    certificate = CertificateFactory(user=user, course=course)
    revoked = CertificateFactory(
        user=user, course=course, status="revoked", revoke_reason=f"Sai tên {user.full_name}"
    )
    record(CERTIFICATE_REVOKED, revoked, actor=organiser, course_id=course.id, learner_id=user.id,
           code=revoked.code, reason=revoked.revoke_reason)  # fmt: skip
    queue_email(user, "password_reset", link="https://example.org/reset/x", minutes=60)
    db.session.flush()
    return Person(
        user.id, other.id, organiser.id, course.id, certificate.code,
        (user.email, user.full_name, user.organisation, user.job_title, essay_text, reason_text,
         "Bích Ngọc Riêng"),
    )  # fmt: skip


@pytest.fixture
def person(db):
    made = build_person()
    db.session.commit()
    return made
