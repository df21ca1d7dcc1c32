"""Exceptions: an organiser counts a module as done for a learner, with a reason, and
may revoke that later (the record stays)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.models import Course, Module
from lms.completion.models import CompletionException
from lms.db import utcnow
from lms.errors import ServiceError
from lms.extensions import db
from lms.signals import progress_changed

# The audit log's actions recorded here (lms.audit.actions).
EXCEPTION_RECORDED = declare_action(
    "completion_exception.recorded",
    _l("Counted a module as done (exception)"),
    learner_id=Detail(_l("Learner"), Shown.USER),
    module_id=Detail(_l("Module"), Shown.MODULE),
    reason=Detail(_l("Reason"), Shown.TEXT),
)
EXCEPTION_REVOKED = declare_action(
    "completion_exception.revoked",
    _l("Revoked a completion exception"),
    learner_id=Detail(_l("Learner"), Shown.USER),
    module_id=Detail(_l("Module"), Shown.MODULE),
    reason=Detail(_l("Reason"), Shown.TEXT),
)


def record_exception(user: User, module: Module, reason: str, actor: User) -> CompletionException:
    """An organiser counts a module as done for a learner, with a reason (logged)."""
    if not reason.strip():
        raise ServiceError(_l("Please give the reason; it is kept in the audit log."))
    if active_exception(user, module) is not None:
        raise ServiceError(_l("An exception for this module is already recorded for this learner."))
    exception = CompletionException(
        user_id=user.id, course_id=module.course_id, module_id=module.id, reason=reason.strip(),
        recorded_by_id=actor.id, recorded_at=utcnow(),
    )  # fmt: skip
    db.session.add(exception)
    db.session.flush()
    record(EXCEPTION_RECORDED, exception, actor=actor, course_id=module.course_id, learner_id=user.id,
           module_id=module.id, reason=exception.reason)  # fmt: skip
    progress_changed.send(module.course_id, user_ids=[user.id])
    return exception


def active_exception(user: User, module: Module) -> CompletionException | None:
    return db.session.scalar(
        select(CompletionException).where(
            CompletionException.user_id == user.id,
            CompletionException.module_id == module.id,
            CompletionException.revoked_at.is_(None),
        )
    )


def exceptions_of(user: User, course: Course) -> list[CompletionException]:
    """Every exception recorded for the learner in the course, revoked ones too."""
    return list(
        db.session.scalars(
            select(CompletionException)
            .where(CompletionException.user_id == user.id, CompletionException.course_id == course.id)
            .options(
                selectinload(CompletionException.module),
                selectinload(CompletionException.recorded_by),
                selectinload(CompletionException.revoked_by),
            )
            .order_by(CompletionException.id)
        )
    )


def revoke_exception(exception: CompletionException, reason: str, actor: User) -> None:
    """The module no longer counts as done by exception; the record stays, with why."""
    if exception.revoked_at is not None:
        raise ServiceError(_l("This exception was already revoked."))
    if not reason.strip():
        raise ServiceError(_l("Please give the reason for revoking; it is kept in the audit log."))
    exception.revoked_at, exception.revoked_by_id, exception.revoke_reason = (
        utcnow(),
        actor.id,
        reason.strip(),
    )
    record(EXCEPTION_REVOKED, exception, actor=actor, course_id=exception.course_id,
           learner_id=exception.user_id, module_id=exception.module_id, reason=exception.revoke_reason)  # fmt: skip
