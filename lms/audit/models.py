"""Audit log: who did what to which object, kept for good."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.audit.actions import action_named, check_details
from lms.caching.invalidation import writes_shown
from lms.db import UTCDateTime, utcnow
from lms.extensions import db

if TYPE_CHECKING:  # the audit log is foundation: it names the user model, never imports it
    from lms.accounts.models import User


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null when the system or a CLI command without a named person acted.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship("User")


def record(
    action: str,
    obj=None,
    *,
    actor=None,
    course_id: int | None = None,
    **details,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits). The action and every
    detail field must be declared (``lms.audit.actions.declare_action``)."""
    check_details(action_named(action), details)
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=getattr(obj, "id", None),
        course_id=course_id,
        details=details,
    )
    db.session.add(event)
    return event


# The audit trail shows on no public page or feed. (lms.caching.invalidation)
for _quiet in (AuditEvent,):
    writes_shown(_quiet.__table__, shown_in=())
