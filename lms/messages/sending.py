"""Sending messages, in a job: claim a due message, write its recipients and one email
each, mark it sent.

Safe with any number of workers and with retried jobs: a message is claimed by a
conditional UPDATE (scheduled → sending) that only one job wins; the recipients, their
emails and the state "sent" are written in one transaction, so a job that dies leaves
nothing half-done, and the message, still "sending", is taken over by the sweep once
its lease has run out. Should the old job wake up and finish too, the unique
(message, user) constraint refuses its rows and its whole transaction rolls back.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.db import utcnow
from lms.extensions import db
from lms.mail.outbox import queue_emails
from lms.messages.audiences import Scope
from lms.messages.models import Message, MessageRecipient, MessageState
from lms.messages.recipients import reach_of

log = logging.getLogger(__name__)

MAIL_KIND = "participant_message"
# How long a job may take to write a message's recipients before another takes over.
LEASE = timedelta(minutes=10)


class LostClaim(RuntimeError):
    """Another job took the message over while this one was writing it."""


def _claimable(now: datetime):
    return or_(
        and_(Message.state == MessageState.SCHEDULED, Message.send_at <= now),
        and_(Message.state == MessageState.SENDING, Message.claimed_at < now - LEASE),
    )


def due_message_ids(now: datetime) -> list[int]:
    return list(db.session.scalars(select(Message.id).where(_claimable(now)).order_by(Message.send_at)))


def claim(message_id: int, now: datetime) -> str | None:
    """Take the message for this job; its claim token, or None if another job has it."""
    token = secrets.token_hex(16)
    result = db.session.execute(
        update(Message)
        .where(Message.id == message_id, _claimable(now))
        .values(state=MessageState.SENDING, claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    return token if result.rowcount == 1 else None


def materialise(message_id: int, token: str, now: datetime) -> int:
    """Write the recipients of a claimed message and queue their emails; how many."""
    message = db.session.get(Message, message_id)
    scope = Scope(message.course, message.module, message.run)
    reach = reach_of(scope, message.audience, message.about_seats)
    if reach.recipients:
        db.session.execute(
            insert(MessageRecipient),
            [
                {"message_id": message.id, "user_id": user_id, "locale": locale, "created_at": now}
                for user_id, _, locale in reach.recipients
            ],
        )
        queue_emails(reach.recipients, MAIL_KIND, course_id=message.course_id, notice_id=message.id)
    finished = db.session.execute(
        update(Message)
        .where(Message.id == message.id, Message.state == MessageState.SENDING, Message.claim_token == token)
        .values(state=MessageState.SENT, sent_at=now, recipient_count=reach.count)
        .execution_options(synchronize_session=False)
    )
    if finished.rowcount != 1:
        raise LostClaim(f"message {message.id} was taken over by another job")
    return reach.count


def send_due(now: datetime | None = None) -> int:
    """Send every message whose time has come (and any a dead job left); how many.
    Commits after each claim and each message."""
    now = now or utcnow()
    sent = 0
    for message_id in due_message_ids(now):
        token = claim(message_id, now)
        db.session.commit()
        if token is None:
            continue
        try:
            materialise(message_id, token, now)
            db.session.commit()
            sent += 1
        except (IntegrityError, LostClaim):
            # Another job wrote this message's recipients: nothing of ours stays.
            db.session.rollback()
            log.info("message %s was sent by another job", message_id)
    return sent
