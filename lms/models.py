"""Imports every model so that the metadata (and Alembic) sees all tables."""

from lms.accounts.models import PasswordResetToken, User, UserRole
from lms.attendance.models import Attendance, AttendanceChange, AttendanceImport
from lms.audit.models import AuditEvent
from lms.catalogue.models import Course, Module, Run, run_trainer
from lms.certificates.models import Certificate
from lms.completion.models import CompletionException
from lms.enrollment.models import Registration, RunChoice
from lms.jobs.models import BackgroundJob
from lms.mail.models import OutboxMessage
from lms.materials.models import Material, MaterialVersion
from lms.privacy.models import PrivacyRequest
from lms.quizzes.models import Answer, Attempt, Question, Quiz

__all__ = [
    "Answer",
    "Attempt",
    "Attendance",
    "AttendanceChange",
    "AttendanceImport",
    "AuditEvent",
    "BackgroundJob",
    "Certificate",
    "CompletionException",
    "Course",
    "Material",
    "MaterialVersion",
    "Module",
    "OutboxMessage",
    "PasswordResetToken",
    "PrivacyRequest",
    "Question",
    "Quiz",
    "Registration",
    "Run",
    "RunChoice",
    "User",
    "UserRole",
    "run_trainer",
]
