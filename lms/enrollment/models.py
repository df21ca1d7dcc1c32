"""Registrations and the learner's choice of run for each module.

A seat is a RunChoice in state ``confirmed``; ``Run.taken`` counts them and is only
changed by conditional UPDATEs (see services). Choices are never deleted: a switch,
a cancellation or a promotion changes a choice's state and records when and by whom.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.caching.invalidation import writes_shown
from lms.catalogue.models import Course, Module, Run
from lms.db import UTCDateTime, utcnow, written_in
from lms.extensions import db


class RegistrationStatus(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class ChoiceStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  # holds a seat
    WAITING = "waiting"  # on the run's waiting list, first come first served
    SWITCHED = "switched"  # the learner moved to the module's other run
    LEFT = "left"  # the learner left the waiting list
    CANCELLED = "cancelled"  # the registration (or the run) was cancelled


class HoldsChoices:
    """A registration's current choices, for the mapped :class:`Registration` and the lean
    copies My schedule reads (lms.enrollment.schedule). Needs ``choices``."""

    def current_choices(self) -> list:
        return [choice for choice in self.choices if choice.is_current]


class Registration(HoldsChoices, db.Model):
    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=RegistrationStatus.ACTIVE)
    privacy_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    choices: Mapped[list[RunChoice]] = relationship(back_populates="registration", order_by="RunChoice.id")

    @property
    def is_active(self) -> bool:
        return self.status == RegistrationStatus.ACTIVE


class ChoiceState:
    """What a choice's status means, shared by the mapped :class:`RunChoice` and the
    lean copies My schedule reads (lms.enrollment.schedule). Needs ``status``."""

    @property
    def is_current(self) -> bool:
        return self.status in (ChoiceStatus.CONFIRMED, ChoiceStatus.WAITING)

    @property
    def is_confirmed(self) -> bool:
        return self.status == ChoiceStatus.CONFIRMED

    @property
    def is_waiting(self) -> bool:
        return self.status == ChoiceStatus.WAITING


class RunChoice(ChoiceState, db.Model):
    __tablename__ = "run_choice"
    __table_args__ = (
        # A learner holds at most one seat, and waits on at most one run, per module.
        Index(
            "uq_run_choice_one_seat_per_module",
            "user_id",
            "module_id",
            unique=True,
            sqlite_where=text("status = 'confirmed'"),
            postgresql_where=text("status = 'confirmed'"),
        ),
        Index(
            "uq_run_choice_one_wait_per_module",
            "user_id",
            "module_id",
            unique=True,
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
        Index("ix_run_choice_run_status", "run_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship(back_populates="choices")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    module: Mapped[Module] = relationship()
    run: Mapped[Run] = relationship()


def where_holding_seat(statement):
    """Narrow a query that includes RunChoice to seats held in active registrations."""
    return statement.join(Registration, Registration.id == RunChoice.registration_id).where(
        RunChoice.status == written_in(ChoiceStatus.CONFIRMED),
        Registration.status == RegistrationStatus.ACTIVE,
    )


# What guests may be shown late (lms.caching.invalidation, README "Caching and HTTP"):
# registrations and choices show at once only in their owners' calendar feeds; the
# seats they take are shown to guests up to GUEST_SEATS_SECONDS old.
writes_shown(Registration.__table__, shown_in=("personal",))
writes_shown(RunChoice.__table__, shown_in=("personal",))
writes_shown(Run.__table__, shown_in=(), columns=("taken",))
