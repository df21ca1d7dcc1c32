"""The outbox: every email is a row first, written in the transaction of the change it
announces, so none is lost when sending fails and none goes out for a change that was
rolled back.

A row starts as an intent (``kind`` and ``payload``: what to say, by id); a job worker
builds the message (templates, calendar files) and sends it. ``status`` moves
queued → sending → sent, or back to queued with ``next_attempt_at`` after a temporary
failure, or to failed after the last attempt. ``claim_token`` and ``claimed_until``
are the lease of the worker sending it: a row is sent only by the worker whose token
it carries, and a worker that died leaves a lease that expires.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.caching.invalidation import writes_shown
from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class MailStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    locale: Mapped[str] = mapped_column(String(10))
    # What the email is about (e.g. "password_reset"): chooses the builder and templates.
    kind: Mapped[str] = mapped_column(String(60), index=True)
    # What the builder needs, by id and value (JSON): the message is built by a worker.
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    # The edition it concerns, for the organisers' outgoing-mail page (none: account mail).
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"), index=True)
    # Chosen when queued, so every attempt sends the same Message-ID and a receiving
    # server (or a person) can tell a repeat from a new message.
    message_id: Mapped[str | None] = mapped_column(String(250), unique=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    # The complete RFC 5322 message, built once by the first worker that sends it.
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default=MailStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")

    @property
    def is_failed(self) -> bool:
        return self.status == MailStatus.FAILED


# Outgoing mail shows on no public page or feed. (lms.caching.invalidation)
for _quiet in (OutboxMessage,):
    writes_shown(_quiet.__table__, shown_in=())
