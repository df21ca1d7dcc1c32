"""Courses (each one edition of a course family), their modules and live runs."""

from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.db import Translated, UTCDateTime, utcnow
from lms.extensions import db


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class RegistrationState(enum.StrEnum):
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"


class RunStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


def registration_state_at(opens_at: datetime, closes_at: datetime, now: datetime) -> RegistrationState:
    """Whether registration is open at ``now`` for a window from ``opens_at`` to ``closes_at``."""
    if now < opens_at:
        return RegistrationState.NOT_YET_OPEN
    if now <= closes_at:
        return RegistrationState.OPEN
    return RegistrationState.CLOSED


class EditionState:
    """What an edition's dates, zone and state mean, shared by the mapped :class:`Course`
    and the lean copy its page reads (lms.catalogue.shown): one home for each rule.
    Needs ``timezone``, ``registration_opens_at``, ``registration_closes_at``, ``status``
    and ``modules`` (each with ``runs`` and ``duration_minutes``)."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def registration_state(self, now: datetime) -> RegistrationState:
        return registration_state_at(self.registration_opens_at, self.registration_closes_at, now)

    @property
    def is_published(self) -> bool:
        return self.status == CourseStatus.PUBLISHED

    @property
    def runs(self) -> list:
        return [run for module in self.modules for run in module.runs]

    @property
    def starts_at(self) -> datetime | None:
        return min((run.starts_at for run in self.runs), default=None)

    @property
    def ends_at(self) -> datetime | None:
        return max((run.ends_at for run in self.runs), default=None)

    @property
    def total_minutes(self) -> int:
        return sum(module.duration_minutes for module in self.modules)


class Course(EditionState, db.Model):
    """An *edition*: one offering of a course (``family``, e.g. "eip") with its own
    slug, dates, modules and runs. The class keeps the name ``Course`` (the table
    ``course`` and every foreign key to it); the README's glossary says so."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # Editions of the same course share a family (e.g. "eip"), so a re-run is a new
    # course row with its own learners, not a mutation of the old one.
    family: Mapped[str] = mapped_column(String(80), index=True)
    title: Mapped[dict] = mapped_column(Translated)
    summary: Mapped[dict] = mapped_column(Translated, default=dict)
    organisers: Mapped[dict] = mapped_column(Translated, default=dict)
    audience: Mapped[dict] = mapped_column(Translated, default=dict)
    # The organisations named (and signing) on the certificate, one list per language in
    # the same order: {"vi": ["Bộ Kế hoạch và Đầu tư", "UNIDO"], "en": [...]}
    issuers: Mapped[dict] = mapped_column(Translated, default=dict, server_default="{}")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    change_cutoff_hours: Mapped[int] = mapped_column(default=24)
    # Share of a run (percent) a learner must attend to count as present, or as late.
    present_threshold: Mapped[int] = mapped_column(default=75, server_default="75")
    late_threshold: Mapped[int] = mapped_column(default=25, server_default="25")
    status: Mapped[str] = mapped_column(String(20), default=CourseStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class Module(db.Model):
    __tablename__ = "module"
    __table_args__ = (
        UniqueConstraint("course_id", "key"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    # A stable key from the content folder, so reloading updates rather than duplicates.
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    title: Mapped[dict] = mapped_column(Translated)
    outline: Mapped[dict] = mapped_column(Translated, default=dict)
    objectives: Mapped[dict] = mapped_column(Translated, default=dict)
    duration_minutes: Mapped[int] = mapped_column(default=120)

    course: Mapped[Course] = relationship(back_populates="modules")
    runs: Mapped[list[Run]] = relationship(
        back_populates="module", order_by="Run.starts_at", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Module {self.course_id}/{self.position} {self.key}>"


run_trainer = Table(
    "run_trainer",
    db.Model.metadata,
    Column("run_id", ForeignKey("run.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class RunState:
    """What a run's seats and state mean, shared by the mapped :class:`Run` and the lean
    copies pages read without the ORM (lms.enrollment.schedule): one home for the rule.
    Needs ``capacity``, ``taken`` and ``status``."""

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def is_cancelled(self) -> bool:
        return self.status == RunStatus.CANCELLED


class Run(RunState, db.Model):
    """One live delivery of a module: learners choose one run of each module."""

    __tablename__ = "run"
    __table_args__ = (
        UniqueConstraint("module_id", "key"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="taken_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[dict] = mapped_column(Translated, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    # Seats taken, kept by a conditional UPDATE so capacity holds under concurrency.
    taken: Mapped[int] = mapped_column(default=0)
    join_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.SCHEDULED)
    # iCalendar SEQUENCE: goes up whenever the run is rescheduled or cancelled.
    sequence: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Why the organisers cancelled the run, per locale: the learners' emails quote it.
    cancellation_reason: Mapped[dict | None] = mapped_column(Translated)

    module: Mapped[Module] = relationship(back_populates="runs")
    trainers: Mapped[list[User]] = relationship(secondary=run_trainer, order_by=User.full_name)

    def __repr__(self) -> str:
        return f"<Run {self.module_id}/{self.key} {self.starts_at:%Y-%m-%d %H:%M}Z>"
