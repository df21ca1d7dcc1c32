"""Imports every model so that the metadata (and Alembic) sees all tables."""

from lms.accounts.models import PasswordResetToken, User, UserRole
from lms.attendance.models import (
    Attendance,
    AttendanceChange,
    AttendanceImport,
    CheckInFailure,
    CheckInRotation,
    JoinClick,
)
from lms.audit.models import AuditEvent
from lms.catalogue.models import Course, Module, Run, run_trainer
from lms.certificates.models import Certificate
from lms.completion.models import CompletionException
from lms.consent.models import Consent, PrivacyNotice
from lms.enrollment.models import Registration, RunChoice
from lms.jobs.models import BackgroundJob
from lms.mail.models import OutboxMessage
from lms.materials.models import Material, MaterialVersion
from lms.messages.models import Message, MessageOptOut, MessageRecipient
from lms.privacy.models import PrivacyRequest
from lms.quizzes.models import Answer, Attempt, Question, Quiz
from lms.recordings.models import Recording

__all__ = [
    "Answer",
    "Attempt",
    "Attendance",
    "AttendanceChange",
    "AttendanceImport",
    "AuditEvent",
    "BackgroundJob",
    "Certificate",
    "CheckInFailure",
    "CheckInRotation",
    "CompletionException",
    "Consent",
    "Course",
    "JoinClick",
    "Material",
    "MaterialVersion",
    "Message",
    "MessageOptOut",
    "MessageRecipient",
    "Module",
    "OutboxMessage",
    "PasswordResetToken",
    "PrivacyNotice",
    "PrivacyRequest",
    "Question",
    "Quiz",
    "Recording",
    "Registration",
    "Run",
    "RunChoice",
    "User",
    "UserRole",
    "run_trainer",
]
