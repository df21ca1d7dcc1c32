"""Attendance per learner and run, with the history of every mark."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.caching.invalidation import writes_shown
from lms.catalogue.models import Run
from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"
    EXCUSED = "excused"


class Attendance(db.Model):
    """The current mark of one learner for one run."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("run_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int | None]
    note: Mapped[str] = mapped_column(Text, default="")
    # "manual", or the platform whose report was imported ("zoom", "teams", "meet")
    source: Mapped[str] = mapped_column(String(20), default="manual")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[Run] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    marked_by: Mapped[User | None] = relationship(foreign_keys=[marked_by_id])
    history: Mapped[list[AttendanceChange]] = relationship(
        back_populates="attendance", order_by="AttendanceChange.id"
    )


class AttendanceChange(db.Model):
    """Every mark ever given, so who marked what and when is never lost."""

    __tablename__ = "attendance_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendance_id: Mapped[int] = mapped_column(ForeignKey("attendance.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int | None]
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attendance: Mapped[Attendance] = relationship(back_populates="history")
    changed_by: Mapped[User | None] = relationship()


class AttendanceImport(db.Model):
    """A participant report applied to a run: the file (kept on disk under its SHA-256),
    what the trainer decided for the names that needed review, and what changed. The
    decisions pre-fill the review when the same run gets a report again."""

    __tablename__ = "attendance_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    # the zone the report's times were read in (the platforms write local times)
    timezone: Mapped[str] = mapped_column(String(64))
    # {participant key: learner id, or None when ignored}
    decisions: Mapped[dict] = mapped_column(JSON, default=dict)
    changed: Mapped[int] = mapped_column(default=0)
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[Run] = relationship()
    imported_by: Mapped[User] = relationship()


class JoinClick(db.Model):
    """One click on a run's join link (/join/<run>): who went into the meeting, and when.
    A log only: the import's review shows these as hints next to names it cannot place."""

    __tablename__ = "join_click"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckInRotation(db.Model):
    """The generation of a run's check-in codes. The codes are derived (HMAC) from the
    app's secret, the run, this generation and the 10-minute slot; a trainer's "new
    code" bumps the generation so the code shown before stops working at once. No row:
    generation 0."""

    __tablename__ = "checkin_rotation"

    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"), primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)
    rotated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rotated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class CheckInFailure(db.Model):
    """A wrong check-in code typed by a learner: the throttle counts these (in the
    database, so it holds across workers)."""

    __tablename__ = "checkin_failure"
    __table_args__ = (Index("ix_checkin_failure_user_tried", "user_id", "tried_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    tried_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Marks, imports, join clicks and check-in tries show on no public page or feed. (lms.caching.invalidation)
for _quiet in (Attendance, AttendanceChange, AttendanceImport, JoinClick, CheckInFailure):
    writes_shown(_quiet.__table__, shown_in=())
