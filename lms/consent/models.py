"""Privacy notices, versioned, and learners' consents per purpose and notice version.

A notice version is never edited once published: a change is a new version, and
every version is kept, so a consent always points at the text the learner was shown.
A consent is given once (when, how) and withdrawn by setting ``withdrawn_at``; the row
stays as the record that it was given.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.caching.invalidation import writes_shown
from lms.db import Translated, UTCDateTime, utcnow
from lms.extensions import db


class Purpose(enum.StrEnum):
    COURSE = "course"  # taking part in the course: needed to register
    DONOR_SHARING = "donor_sharing"  # personal data sent to the programme's donors abroad
    RECORDINGS = "recordings"  # appearing in recordings of live sessions

    @property
    def required(self) -> bool:
        return self is Purpose.COURSE


PURPOSE_LABELS = {
    Purpose.COURSE: _l("Taking part in the course"),
    Purpose.DONOR_SHARING: _l("Sharing my personal data with the programme's donors abroad"),
    Purpose.RECORDINGS: _l("Appearing in recordings of live sessions"),
}
PURPOSE_DESCRIPTIONS = {
    Purpose.COURSE: _l(
        "Required to register: your details are used to run the courses you take (places, "
        "reminders, materials, attendance, quizzes, certificates)."
    ),
    Purpose.DONOR_SHARING: _l(
        "Optional: your name, organisation, province and gender may be sent to UNIDO and SECO "
        "(outside Viet Nam) in participant lists. Without it, donors only see counted figures."
    ),
    Purpose.RECORDINGS: _l(
        "Optional: your voice, image or name may appear in recordings of live sessions that "
        "other learners of the course can watch."
    ),
}


class How(enum.StrEnum):
    """Where a consent was given (evidence of how it was asked)."""

    BEFORE_VERSIONING = "before_versioning"  # a registration's privacy tick before notices had versions
    SIGNUP = "signup"
    REGISTRATION = "registration"
    REACCEPTANCE = "reacceptance"
    PROFILE = "profile"  # /account/data


HOW_LABELS = {
    How.BEFORE_VERSIONING: _l("before notices had versions (registration)"),
    How.SIGNUP: _l("sign-up form"),
    How.REGISTRATION: _l("registration form"),
    How.REACCEPTANCE: _l("re-acceptance page"),
    How.PROFILE: _l("your data page"),
}


class PrivacyNotice(db.Model):
    __tablename__ = "privacy_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    text: Mapped[dict] = mapped_column(Translated)  # Markdown per locale
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None for the version shipped with the platform (loaded from content/privacy).
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    published_by: Mapped[User | None] = relationship()


class Consent(db.Model):
    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_purpose_notice", "purpose", "notice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    notice_id: Mapped[int] = mapped_column(ForeignKey("privacy_notice.id"))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    how: Mapped[str] = mapped_column(String(30))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notice: Mapped[PrivacyNotice] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


@dataclass(frozen=True)
class PurposeChoice:
    value: str
    label: object
    description: object
    required: bool


def purpose_choices() -> list[PurposeChoice]:
    """The purposes as consent forms show them, required first."""
    return [PurposeChoice(p.value, PURPOSE_LABELS[p], PURPOSE_DESCRIPTIONS[p], p.required) for p in Purpose]


# Consents show on no public page or feed. (lms.caching.invalidation)
for _quiet in (Consent,):
    writes_shown(_quiet.__table__, shown_in=())
