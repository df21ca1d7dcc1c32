"""Certificates of completion: one valid certificate per learner and course edition.

A certificate is never deleted. Revoking keeps it (with who, when and why) so its code
still answers "revoked" on the verify page; re-issuing marks the old one replaced and
points it at the new one, which gets a new code.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.catalogue.models import Course
from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    REPLACED = "replaced"


class Certificate(db.Model):
    __tablename__ = "certificate"
    __table_args__ = (
        Index(
            "uq_certificate_one_valid_per_course",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # 28 Crockford base-32 characters (140 random bits), stored without separators
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    # The name as it was when issued: a certificate shows what was certified then
    learner_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=CertificateStatus.VALID)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None when issued automatically on completion
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    # The holder's name was removed at their request (or at the end of the retention
    # period): the verify page says so instead of showing a name.
    name_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    replaced_by: Mapped[Certificate | None] = relationship(remote_side=[id])

    @property
    def is_valid(self) -> bool:
        return self.status == CertificateStatus.VALID
