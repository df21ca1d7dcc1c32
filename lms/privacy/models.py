"""Learners' requests about their personal data, kept with who handled them and when."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.caching.invalidation import writes_shown
from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class RequestKind(enum.StrEnum):
    DELETION = "deletion"  # delete (de-identify) my account and data
    CORRECTION = "correction"  # re-issue my certificate with my corrected name


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class PrivacyRequest(db.Model):
    __tablename__ = "privacy_request"
    __table_args__ = (
        # One open request of a kind per person: a second one is refused.
        Index(
            "uq_privacy_request_one_open",
            "user_id",
            "kind",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default=RequestStatus.OPEN)
    # The learner's own words (optional); removed when the request is carried out.
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When it must be done by (LMS_DELETION_DEADLINE_DAYS after it was made).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None when carried out from the command line.
    processed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    # A correction: the certificate to re-issue with the name the profile now has.
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    processed_by: Mapped[User | None] = relationship(foreign_keys=[processed_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == RequestStatus.OPEN


# Learners' requests show on no public page or feed. (lms.caching.invalidation)
for _quiet in (PrivacyRequest,):
    writes_shown(_quiet.__table__, shown_in=())
