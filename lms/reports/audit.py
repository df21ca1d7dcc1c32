"""The audit log as organisers read it: newest first, a page at a time, filtered by
edition and by person, with each action said in words."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.modules.models import Course

PAGE_SIZE = 50

ACTION_LABELS = {
    "registered": _l("Registered for the course"),
    "run_switched": _l("Switched to another run"),
    "registration_cancelled": _l("Cancelled a registration"),
    "capacity_changed": _l("Changed a run's capacity"),
    "attendance_marked": _l("Marked attendance"),
    "attendance_all_present": _l("Marked everyone present"),
    "completion_exception": _l("Counted a module as done (exception)"),
    "essay_graded": _l("Graded an essay"),
    "quiz_regraded": _l("Regraded a quiz"),
    "quiz_settings_changed": _l("Changed quiz settings"),
    "question_added": _l("Added a quiz question"),
    "question_edited": _l("Edited a quiz question"),
    "question_archived": _l("Removed a quiz question"),
    "role_granted": _l("Granted a role"),
    "material.added": _l("Added a material"),
    "material.edited": _l("Edited a material"),
    "material.version_added": _l("Uploaded a new version of a material"),
    "material.published": _l("Published a material"),
    "material.unpublished": _l("Unpublished a material"),
    "material.moved": _l("Moved a material"),
    "certificate_issued": _l("Issued a certificate"),
    "certificate_revoked": _l("Revoked a certificate"),
    "certificate_reissued": _l("Re-issued a certificate"),
    "certificates_issued": _l("Issued the missing certificates of an edition"),
    "attendance_imported": _l("Imported a participant report"),
    "completion_exception_revoked": _l("Revoked a completion exception"),
    "mail_sent_again": _l("Sent a failed email again"),
    "failed_mail_sent_again": _l("Sent the failed emails again"),
}
OBJECT_LABELS = {
    "registration": _l("Registration"),
    "run": _l("Run"),
    "quiz": _l("Quiz"),
    "question": _l("Question"),
    "answer": _l("Answer"),
    "material": _l("Material"),
    "user": _l("Person"),
    "completionexception": _l("Completion exception"),
    "certificate": _l("Certificate"),
    "course": _l("Course"),
    "module": _l("Module"),
    "outboxmessage": _l("Email"),
}


def action_label(action: str) -> str:
    """The action in words; an action this page does not know yet shows its code, readable."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action.replace("_", " ").replace(".", ": ").capitalize()


def object_label(object_type: str, object_id: int | None) -> str:
    if not object_type:
        return ""
    name = str(OBJECT_LABELS.get(object_type, object_type))
    return name if object_id is None else f"{name} #{object_id}"


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int
    pages: int
    courses: dict[int, Course]
    actors: list[tuple[int, str]]


def audit_page(course_id: int | None = None, actor_id: int | None = None, page: int = 1) -> AuditPage:
    """One page of events in four queries, whatever the size of the log."""
    statement = select(AuditEvent)
    if course_id is not None:
        statement = statement.where(AuditEvent.course_id == course_id)
    if actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = list(
        db.session.scalars(
            statement.options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    courses = {course.id: course for course in db.session.scalars(select(Course).order_by(Course.slug))}
    actors = db.session.execute(
        select(User.id, User.full_name)
        .where(User.id.in_(select(AuditEvent.actor_id).where(AuditEvent.actor_id.is_not(None))))
        .order_by(User.full_name)
    ).all()
    return AuditPage(events, total, page, pages, courses, [tuple(row) for row in actors])
