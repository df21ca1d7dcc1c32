"""A message to participants, the people it went to, and who turned off optional ones.

A message is written (subject and body per language, kept as a draft if its writer
wishes) with the rule that chooses its audience (a scope: the edition, a module or a run, and a named filter). It is sent
at ``send_at``: the job that sends it claims it (scheduled → sending), writes one
``MessageRecipient`` row per person (unique per message, so nobody gets it twice) and
one email each, and marks it sent, all in one transaction.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.caching.invalidation import writes_shown
from lms.catalogue.models import Course, Module, Run
from lms.db import Translated, UTCDateTime, utcnow
from lms.extensions import db


class MessageState(enum.StrEnum):
    DRAFT = "draft"  # saved by its writer, not sent until they send it
    SCHEDULED = "scheduled"  # recorded, waiting for its send time
    SENDING = "sending"  # claimed by a job that is materialising its recipients
    SENT = "sent"  # every recipient's email is in the outbox
    CANCELLED = "cancelled"  # stopped before its send time


class Message(db.Model):
    __tablename__ = "participant_message"
    __table_args__ = (Index("ix_participant_message_state_send_at", "state", "send_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    # The scope: a run, a module, or (both empty) the whole edition.
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"))
    # The name of a filter of lms.messages.audiences (e.g. "seat", "absent").
    audience: Mapped[str] = mapped_column(String(40))
    # About the recipients' own seats: sent even to those who turned optional messages off.
    about_seats: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[dict] = mapped_column(Translated)
    body: Mapped[dict] = mapped_column(Translated)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    state: Mapped[str] = mapped_column(String(20), default=MessageState.SCHEDULED)
    # None for a draft that is to go as soon as it is sent
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The lease of the job sending it: another job may take over once it is old.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipient_count: Mapped[int | None]
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    course: Mapped[Course] = relationship()
    module: Mapped[Module | None] = relationship()
    run: Mapped[Run | None] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])

    @property
    def is_cancellable(self) -> bool:
        return self.state == MessageState.SCHEDULED

    @property
    def is_draft(self) -> bool:
        return self.state == MessageState.DRAFT


class MessageRecipient(db.Model):
    """One person a message went to. ``user_id`` is emptied when the person's data is
    erased: the row stays, so the message's list keeps its length."""

    __tablename__ = "participant_message_recipient"
    __table_args__ = (UniqueConstraint("message_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("participant_message.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The language the email was written in for them.
    locale: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[Message] = relationship()
    user: Mapped[User | None] = relationship()


class MessageOptOut(db.Model):
    """A learner who turned optional messages off (messages about their seats still come)."""

    __tablename__ = "participant_message_opt_out"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Messages and who received them show on no public page or feed. (lms.caching.invalidation)
for _quiet in (Message, MessageRecipient, MessageOptOut):
    writes_shown(_quiet.__table__, shown_in=())
