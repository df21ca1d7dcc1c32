"""People and what they may do."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.caching.invalidation import writes_shown
from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class Role(enum.StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    ORGANISER = "organiser"


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    organisation_type: Mapped[str] = mapped_column(String(40), default="other")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    province: Mapped[str] = mapped_column(String(40), default="")
    gender: Mapped[str] = mapped_column(String(20), default="undisclosed")
    locale: Mapped[str] = mapped_column(String(10), default="vi")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change and reset: every session signed with an older value
    # stops being valid, on every device.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Secret part of the personal calendar feed URL; reset to revoke old links.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set when the person's data was de-identified (their request, or the end of the
    # retention period): the row stays so that aggregates still count it.
    deidentified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The learner asked to keep their account beyond the retention period.
    keep_account: Mapped[bool] = mapped_column(default=False, server_default=false())

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def role_names(self) -> set[str]:
        return {role.role for role in self.roles}

    def has_role(self, role: Role | str) -> bool:
        return str(role) in self.role_names

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")


class PasswordResetToken(db.Model):
    """A single-use, expiring token. Only its SHA-256 is stored: a leaked table
    cannot be used to reset anyone's password."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


# Signing up and signing in show on no public page or feed (lms.caching.invalidation):
# a new account and its roles, its sign-in time, a password re-hashed, sessions ended,
# reset tokens. (A trainer's name shows through the runs they teach, not their role.)
writes_shown(
    User.__table__, shown_in=(), columns=("last_login_at", "password_hash", "session_version"), inserts=True
)
for _quiet in (UserRole, PasswordResetToken):
    writes_shown(_quiet.__table__, shown_in=())
