"""Every model the tests build, in one place. Factories flush into the current app
context's session; ``hold`` and ``registration_for`` place learners in runs the way the
services would (``Run.taken`` kept equal to the confirmed choices)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import func, select

from lms.accounts.models import User, UserRole
from lms.accounts.services import hash_password
from lms.attendance.models import Attendance, AttendanceStatus
from lms.audit.models import AuditEvent
from lms.catalogue.models import Course, CourseStatus, Module, Run
from lms.certificates.models import Certificate, CertificateStatus
from lms.completion.models import CompletionException
from lms.consent.models import Consent, How, PrivacyNotice, Purpose
from lms.enrollment.models import ChoiceStatus, Registration, RegistrationStatus, RunChoice
from lms.extensions import db
from lms.jobs.models import BackgroundJob, JobStatus
from lms.mail.models import MailStatus, OutboxMessage
from lms.messages.models import Message, MessageState
from lms.quizzes.models import Attempt, AttemptStatus, Question, Quiz

PASSWORD = "correct horse battery"
# Hashing is deliberately slow; tests share one hash of the common password.
_PASSWORD_HASH = None


def password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(PASSWORD)
    return _PASSWORD_HASH


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    password_hash = factory.LazyFunction(password_hash)
    organisation = "Ban quản lý các khu công nghiệp Đà Nẵng"
    organisation_type = "park_management_board"
    province = "da-nang"
    gender = "undisclosed"
    locale = "vi"
    timezone = "Asia/Ho_Chi_Minh"
    calendar_token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))

    @factory.post_generation
    def roles(user, create, extracted, **kwargs):
        user.roles = [UserRole(role=role) for role in (extracted or ["learner"])]
        if create:
            db.session.flush()


class CourseFactory(BaseFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    family = "eip"
    title = factory.LazyAttribute(lambda c: {"vi": f"Khóa học {c.slug}", "en": f"Course {c.slug}"})
    summary = {"vi": "Tóm tắt khóa học.", "en": "Course summary."}
    timezone = "Asia/Ho_Chi_Minh"
    registration_opens_at = factory.LazyFunction(lambda: datetime.now(UTC) - timedelta(days=7))
    registration_closes_at = factory.LazyFunction(lambda: datetime.now(UTC) + timedelta(days=14))
    status = CourseStatus.PUBLISHED


class ModuleFactory(BaseFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    key = factory.Sequence(lambda n: f"module-{n}")
    position = factory.Sequence(lambda n: n + 1)
    title = factory.LazyAttribute(lambda m: {"vi": f"Học phần {m.key}", "en": f"Module {m.key}"})
    outline = {"vi": "## Nội dung\n\n- Một", "en": "## Content\n\n- One"}
    duration_minutes = 120


class RunFactory(BaseFactory):
    class Meta:
        model = Run

    module = factory.SubFactory(ModuleFactory)
    key = factory.Sequence(lambda n: f"r{n}")
    label = {"vi": "Lớp A", "en": "Run A"}
    starts_at = factory.LazyFunction(lambda: datetime.now(UTC).replace(microsecond=0) + timedelta(days=30))
    ends_at = factory.LazyAttribute(lambda r: r.starts_at + timedelta(minutes=120))
    capacity = 20
    taken = 0
    join_url = "https://meet.example.org/room"


class OutboxMessageFactory(BaseFactory):
    """A row of the outbox as the organisers' page shows it (its payload builds nothing:
    queue real email with ``lms.mail.outbox.queue_email`` to deliver it)."""

    class Meta:
        model = OutboxMessage

    recipient = factory.Sequence(lambda n: f"recipient{n}@example.org")
    locale = "vi"
    kind = "password_reset"
    payload = factory.LazyFunction(dict)
    message_id = factory.Sequence(lambda n: f"<{n}.outbox@eip-training.example.org>")
    status = MailStatus.QUEUED
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))
    next_attempt_at = factory.LazyAttribute(lambda m: m.created_at)
    attempts = 0
    last_error = ""


def course_with_modules(modules: int = 2, runs_per_module: int = 2, **course_fields) -> Course:
    """A published course with ``modules`` modules of ``runs_per_module`` runs each."""
    course = CourseFactory(**course_fields)
    first = datetime(2030, 10, 8, 2, 0, tzinfo=UTC)  # 09:00 in Viet Nam
    for position in range(1, modules + 1):
        module = ModuleFactory(course=course, position=position, key=f"m{position}")
        for index in range(runs_per_module):
            starts = first + timedelta(weeks=2 * (position - 1), days=2 * index)
            RunFactory(module=module, key="abcdef"[index], starts_at=starts)
    db.session.refresh(course)
    return course


class BackgroundJobFactory(BaseFactory):
    """A job as a request records it (queued); pass ``status`` and the rest for others."""

    class Meta:
        model = BackgroundJob

    kind = "certificates_zip"
    params = factory.LazyFunction(dict)
    locale = "vi"
    dedup_key = factory.Sequence(lambda n: f"{n:064x}")
    requested_by_id = factory.LazyAttribute(lambda job: UserFactory(roles=["organiser"]).id)
    status = JobStatus.QUEUED
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))
    run_after = factory.LazyAttribute(lambda job: job.created_at)


def registration_for(user, course, status: str = RegistrationStatus.ACTIVE) -> Registration:
    """The user's registration for the edition, made if there is none."""
    registration = db.session.scalar(
        select(Registration).where(Registration.user_id == user.id, Registration.course_id == course.id)
    )
    if registration is None:
        registration = Registration(
            user=user, course=course, status=status, privacy_accepted_at=datetime.now(UTC)
        )
        db.session.add(registration)
    return registration


def hold(
    user, run, status: str = ChoiceStatus.CONFIRMED, registration_status: str = RegistrationStatus.ACTIVE
):
    """The user's choice of ``run`` (a seat by default), registered if need be."""
    registration = registration_for(user, run.module.course, registration_status)
    confirmed = status == ChoiceStatus.CONFIRMED
    choice = RunChoice(
        registration=registration,
        user=user,
        module=run.module,
        run=run,
        status=status,
        confirmed_at=datetime.now(UTC) if confirmed else None,
    )
    if confirmed:
        run.taken += 1
    db.session.add(choice)
    db.session.flush()
    return choice


class AttendanceFactory(BaseFactory):
    class Meta:
        model = Attendance

    status = AttendanceStatus.PRESENT
    minutes = None
    source = "manual"
    marked_at = factory.LazyFunction(lambda: datetime.now(UTC))


class QuizFactory(BaseFactory):
    class Meta:
        model = Quiz

    title = {"vi": "Bài kiểm tra", "en": "Quiz"}


def quiz_with_questions(module, questions: list[dict], **settings) -> Quiz:
    """The module's quiz with these questions (dicts of Question fields), in order."""
    quiz = QuizFactory(module=module, **settings)
    quiz.questions = [Question(position=index + 1, **spec) for index, spec in enumerate(questions)]
    db.session.flush()
    return quiz


class GradedAttemptFactory(BaseFactory):
    """A submitted and graded attempt scoring ``percent`` (pass by the quiz's mark)."""

    class Meta:
        model = Attempt
        exclude = ("at",)

    number = 1
    status = AttemptStatus.GRADED
    at = factory.LazyFunction(lambda: datetime.now(UTC))
    started_at = factory.SelfAttribute("at")
    submitted_at = factory.SelfAttribute("at")
    graded_at = factory.SelfAttribute("at")
    percent = 100.0
    max_score = 10.0
    score = factory.LazyAttribute(lambda a: a.percent / 10)
    passed = factory.LazyAttribute(lambda a: a.percent >= (a.quiz.pass_mark if a.quiz else 60))


class CertificateFactory(BaseFactory):
    class Meta:
        model = Certificate

    code = factory.LazyFunction(lambda: secrets.token_hex(14).upper()[:28])
    status = CertificateStatus.VALID
    issued_at = factory.LazyFunction(lambda: datetime.now(UTC))
    learner_name = factory.LazyAttribute(lambda c: c.user.full_name if c.user else "Nguyễn Văn A")


class CompletionExceptionFactory(BaseFactory):
    class Meta:
        model = CompletionException

    reason = "Học bù với giảng viên."
    recorded_at = factory.LazyFunction(lambda: datetime.now(UTC))


class AuditEventFactory(BaseFactory):
    class Meta:
        model = AuditEvent

    action = "run.capacity_changed"
    object_type = "run"
    details = factory.LazyFunction(dict)
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))


class MessageFactory(BaseFactory):
    """A message to participants as a request records it (scheduled, to send now); the
    job of lms.messages.sending sends it (``send_due``)."""

    class Meta:
        model = Message

    audience = "everyone"
    about_seats = False
    subject = {"vi": "Thông báo về khóa học", "en": "News about the course"}
    body = {"vi": "Xin chào, đây là **thông báo**.", "en": "Hello, this is **news**."}
    state = MessageState.SCHEDULED
    send_at = factory.LazyFunction(lambda: datetime.now(UTC) - timedelta(seconds=1))
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))


class PrivacyNoticeFactory(BaseFactory):
    """A published notice version (the next number unless given)."""

    class Meta:
        model = PrivacyNotice

    version = factory.LazyFunction(
        lambda: (db.session.scalar(select(func.max(PrivacyNotice.version))) or 0) + 1
    )
    text = factory.LazyAttribute(
        lambda n: {"vi": f"## Thông báo phiên bản {n.version}", "en": f"## Notice version {n.version}"}
    )
    published_at = factory.LazyFunction(lambda: datetime.now(UTC))


class ConsentFactory(BaseFactory):
    """A consent given under ``notice`` (the latest published one unless given)."""

    class Meta:
        model = Consent
        exclude = ("user", "notice")

    user = factory.SubFactory(UserFactory)
    notice = factory.LazyFunction(
        lambda: (
            db.session.scalar(select(PrivacyNotice).order_by(PrivacyNotice.version.desc()).limit(1))
            or PrivacyNoticeFactory()
        )
    )
    user_id = factory.LazyAttribute(lambda c: c.user.id)
    notice_id = factory.LazyAttribute(lambda c: c.notice.id)
    purpose = Purpose.COURSE
    how = How.SIGNUP
    given_at = factory.LazyFunction(lambda: datetime.now(UTC))
