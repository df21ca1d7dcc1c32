"""Recording emails to send, and the state of the outbox.

``queue_email`` is what services call: it writes the intent in the caller's
transaction (flush only) and asks for a job worker to be woken once the transaction
commits (``lms.jobs.queue.enqueue_after_commit``). Nothing is sent or built in the request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, insert, select, update

from lms.db import utcnow
from lms.extensions import db
from lms.jobs.queue import enqueue_after_commit
from lms.mail.compose import sender_address
from lms.mail.kinds import builder_for
from lms.mail.models import MailStatus, OutboxMessage
from lms.mail.tasks import deliver_mail


def queue_email(recipient, kind: str, *, course_id: int | None = None, **payload) -> OutboxMessage:
    """Record email ``kind`` for ``recipient`` (a user) in the current transaction.

    ``payload`` holds what the kind's builder needs, as JSON values (ids, not objects).
    """
    builder_for(kind)  # an undeclared kind fails here, in the caller's transaction
    row = OutboxMessage(
        recipient=recipient.email,
        locale=recipient.locale,
        kind=kind,
        payload={"user_id": recipient.id, "course_id": course_id, **payload},
        course_id=course_id,
        message_id=new_message_id(),
        status=MailStatus.QUEUED,
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    enqueue_after_commit(deliver_mail)
    return row


def queue_emails(
    recipients: list[tuple[int, str, str]], kind: str, *, course_id: int | None = None, **payload
) -> int:
    """Record email ``kind`` for many people at once ((user id, email, locale) each, the
    same ``payload``) in the current transaction: one multi-row INSERT instead of a flush
    per email, so ten thousand are queued in seconds. Returns how many."""
    builder_for(kind)
    if not recipients:
        return 0
    now = utcnow()
    db.session.execute(
        insert(OutboxMessage),
        [
            {
                "recipient": email,
                "locale": locale,
                "kind": kind,
                "payload": {"user_id": user_id, "course_id": course_id, **payload},
                "course_id": course_id,
                "message_id": new_message_id(),
                "status": MailStatus.QUEUED,
                "created_at": now,
                "next_attempt_at": now,
            }
            for user_id, email, locale in recipients
        ],
    )
    enqueue_after_commit(deliver_mail)
    return len(recipients)


def new_message_id() -> str:
    """A Message-ID from the operating system's randomness: email.utils.make_msgid draws
    on the ``random`` module, which anything may seed (the fuzz test's examples did, and
    two emails got the same id, refused by the unique index)."""
    domain = sender_address().rpartition("@")[2] or "eip-training.local"
    return f"<{secrets.token_hex(16)}@{domain}>"


@dataclass(frozen=True)
class MailHealth:
    queued: int
    failed: int
    oldest_unsent_seconds: int | None

    def as_dict(self) -> dict:
        return {
            "queued": self.queued,
            "failed": self.failed,
            "oldest_unsent_seconds": self.oldest_unsent_seconds,
        }


UNSENT = (MailStatus.QUEUED, MailStatus.SENDING)


def mail_health(now: datetime | None = None) -> MailHealth:
    """How many messages wait, how many failed, and how long the oldest has waited."""
    now = now or utcnow()
    unsent = OutboxMessage.status.in_(UNSENT)
    queued, failed, oldest = db.session.execute(
        select(
            func.count(case((unsent, 1))),
            func.count(case((OutboxMessage.status == MailStatus.FAILED, 1))),
            func.min(case((unsent, OutboxMessage.created_at))),
        ).where(OutboxMessage.status.in_((*UNSENT, MailStatus.FAILED)))  # the index, not every sent row
    ).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite's min() bypasses UTCDateTime
        oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=now.tzinfo)
    waited = None if oldest is None else max(0, int((now - oldest).total_seconds()))
    return MailHealth(queued=queued, failed=failed, oldest_unsent_seconds=waited)


def send_again(ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Queue failed messages again with a fresh set of attempts (all of them when
    ``ids`` is None); return how many. The last error stays until one succeeds."""
    statement = update(OutboxMessage).where(OutboxMessage.status == MailStatus.FAILED)
    if ids is not None:
        statement = statement.where(OutboxMessage.id.in_(ids))
    result = db.session.execute(
        statement.values(
            status=MailStatus.QUEUED, attempts=0, next_attempt_at=now or utcnow(), failed_at=None
        ).execution_options(synchronize_session=False)
    )
    if result.rowcount:
        enqueue_after_commit(deliver_mail)
    return result.rowcount
