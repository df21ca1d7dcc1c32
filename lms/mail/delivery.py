"""Delivering the outbox, run by job workers (and ``flask lms send-mail``).

Each round claims a batch of due messages with one conditional UPDATE (on PostgreSQL
the candidates are also locked with ``FOR UPDATE SKIP LOCKED`` so concurrent workers
take different rows instead of waiting), builds those not yet built, sends them over
one connection, and records each outcome against the claim. However many workers,
cron runs or restarts there are, a message is sent by the one worker holding its
claim. The claim is a lease (``MAIL_LEASE_SECONDS``) that the worker renews while it
works through the batch, and it sends a message only after checking that the claim is
still its own, so a batch that takes longer than the lease (a slow server) is not
taken over and sent a second time. The one window left is a worker killed after the
server accepted a message and before the outcome was committed: its lease expires and
the message goes again, with the same Message-ID.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import and_, bindparam, or_, select, update

from lms.db import utcnow, write_intent
from lms.extensions import db
from lms.mail.compose import compose
from lms.mail.kinds import RecipientGone, UnknownMailKind
from lms.mail.models import MailStatus, OutboxMessage
from lms.mail.transport import ConnectionFailed, MessageRefused, describe, open_transport

log = logging.getLogger(__name__)

BATCH_SIZE = 50


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    # When the first of the messages put back for a retry falls due (None: none was).
    next_retry_at: datetime | None = None

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.errors += other.errors
        self.retry_at(other.next_retry_at)

    def retry_at(self, when: datetime | None) -> None:
        if when is not None and (self.next_retry_at is None or when < self.next_retry_at):
            self.next_retry_at = when


@dataclass
class Claimed:
    """One claimed message, as plain values (no ORM object outlives a transaction)."""

    id: int
    kind: str
    recipient: str
    locale: str
    payload: dict
    message_id: str
    attempts: int
    raw: bytes | None
    subject: str = ""
    built_now: bool = False


def deliver_due(now: datetime | None = None, max_rounds: int | None = None) -> DeliveryReport:
    """Send every message that is due, batch after batch, until none is left."""
    report = DeliveryReport()
    rounds = 0
    while max_rounds is None or rounds < max_rounds:
        token, batch = claim_batch(now or utcnow())
        if not batch:
            break
        report.add(deliver_batch(token, batch))
        rounds += 1
    return report


def _claimable(now: datetime):
    return or_(
        and_(OutboxMessage.status == MailStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == MailStatus.SENDING, OutboxMessage.claimed_until < now),
    )


def claim_batch(now: datetime, size: int = BATCH_SIZE) -> tuple[str, list[Claimed]]:
    """Claim up to ``size`` due messages for this worker; the attempt is counted here."""
    token = secrets.token_hex(16)
    candidates = select(OutboxMessage.id).where(_claimable(now)).order_by(OutboxMessage.id).limit(size)
    if db.engine.dialect.name == "postgresql":
        ids = db.session.scalars(candidates.with_for_update(skip_locked=True)).all()
    else:
        # SQLite: look without the write lock; the conditional UPDATE below decides.
        with write_intent(False):
            ids = db.session.scalars(candidates).all()
            db.session.commit()
    if not ids:
        db.session.commit()
        return token, []
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), _claimable(now))
        .values(
            status=MailStatus.SENDING,
            claim_token=token,
            claimed_until=now + timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"]),
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    with write_intent(False):
        rows = db.session.execute(
            select(
                OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.locale,
                OutboxMessage.payload, OutboxMessage.message_id, OutboxMessage.attempts, OutboxMessage.raw,
            ).where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id)
        ).all()  # fmt: skip
        db.session.commit()
    return token, [Claimed(*row) for row in rows]


def deliver_batch(token: str, batch: list[Claimed]) -> DeliveryReport:
    report = DeliveryReport()
    ready = [message for message in batch if build(token, message, report)]
    keep_built(token, [message for message in ready if message.built_now])
    if not ready:
        return report
    lease = Lease(token, [message.id for message in ready])
    try:
        with open_transport() as transport:
            for position, message in enumerate(ready):
                if not lease.holds(message.id):
                    continue
                try:
                    transport.send(message.id, message.kind, message.recipient, message.raw)
                except MessageRefused as refusal:
                    record_failure(token, message, str(refusal), report, permanent=refusal.permanent)
                except ConnectionFailed as error:
                    # The connection is gone: this message and the rest of the batch wait.
                    for waiting in ready[position:]:
                        record_failure(token, waiting, str(error), report)
                    return report
                else:
                    record_sent(token, message, report)
    except ConnectionFailed as error:  # could not connect at all
        for message in ready:
            record_failure(token, message, str(error), report)
    return report


class Lease:
    """This worker's claim on a batch, renewed while the batch is being sent.

    Before each message, :meth:`holds` says whether the claim on it is still this
    worker's; once a third of the lease has passed since the last renewal (and before
    the first message) it first extends the claim on every message of the batch not
    yet sent. So each message starts with at least two thirds of the lease ahead of it,
    however long the batch takes, and a message whose claim was lost anyway (the worker
    was stalled longer than the lease and another took it over) is left to that other.
    """

    def __init__(self, token: str, ids: list[int]) -> None:
        self.token = token
        self.seconds = current_app.config["MAIL_LEASE_SECONDS"]
        self.unsent = list(ids)
        self.held: set[int] = set()
        self.renewed_at: float | None = None

    def holds(self, message_id: int) -> bool:
        if self.renewed_at is None or time.monotonic() - self.renewed_at >= self.seconds / 3:
            self.renew()
        self.unsent.remove(message_id)
        if message_id not in self.held:
            log.warning("mail %s: the claim on it expired and another worker took it over", message_id)
            return False
        return True

    def renew(self) -> None:
        self.renewed_at = time.monotonic()
        self.held = set(
            db.session.scalars(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(self.unsent),
                    OutboxMessage.claim_token == self.token,
                    OutboxMessage.status == MailStatus.SENDING,
                )
                .values(claimed_until=utcnow() + timedelta(seconds=self.seconds))
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            ).all()
        )
        db.session.commit()


def build(token: str, message: Claimed, report: DeliveryReport) -> bool:
    """Build the message once (templates, calendar files) and keep it, so that every
    later attempt sends the very same bytes. False if it cannot be built."""
    if message.raw is not None:
        return True
    try:
        with write_intent(False):
            subject, raw = compose(message.kind, message.locale, message.payload, message.message_id)
            db.session.commit()
    except (UnknownMailKind, RecipientGone) as error:
        db.session.rollback()
        record_failure(token, message, describe(error), report, permanent=True)
        return False
    except Exception as error:  # a builder's bug or the database going away: retry later
        db.session.rollback()
        log.exception("mail %s (%s) could not be built", message.id, message.kind)
        record_failure(token, message, describe(error), report)
        return False
    message.subject, message.raw, message.built_now = subject[:300], raw, True
    return True


def keep_built(token: str, messages: list[Claimed]) -> None:
    """Store the messages built in this batch in one short write transaction (SQLite has
    one writer at a time: web requests wait for each of ours)."""
    for message in messages:
        _update(token, message, commit=False, subject=message.subject, raw=message.raw)
    db.session.commit()


def record_sent(token: str, message: Claimed, report: DeliveryReport) -> None:
    _update(token, message, status=MailStatus.SENT, sent_at=utcnow(), claim_token=None,
            claimed_until=None, last_error="")  # fmt: skip
    report.sent += 1


def retry_delays() -> list[int]:
    return current_app.config["MAIL_RETRY_DELAYS"]


def record_failure(
    token: str, message: Claimed, error: str, report: DeliveryReport, permanent: bool = False
) -> None:
    """A failed attempt: retried after the next delay of the backoff, or failed for
    good after the last attempt (or at once when the server refused it for good)."""
    delays = retry_delays()
    now = utcnow()
    report.errors.append(f"{message.id}: {error}")
    log.warning("mail %s to %s, attempt %d: %s", message.id, message.recipient, message.attempts, error)
    if permanent or message.attempts > len(delays):
        _update(token, message, status=MailStatus.FAILED, failed_at=now, last_error=error,
                claim_token=None, claimed_until=None)  # fmt: skip
        report.failed += 1
        return
    next_attempt_at = now + timedelta(seconds=delays[message.attempts - 1])
    _update(
        token, message, status=MailStatus.QUEUED, last_error=error, claim_token=None, claimed_until=None,
        next_attempt_at=next_attempt_at,
    )  # fmt: skip
    report.retrying += 1
    report.retry_at(next_attempt_at)


def _update(token: str, message: Claimed, commit: bool = True, **values) -> None:
    """Change the message only while this worker still holds its claim."""
    parameters = {f"new_{column}": value for column, value in values.items()}
    db.session.execute(
        _update_statement(tuple(sorted(values))), {"outbox_id": message.id, "claim": token, **parameters}
    )
    if commit:
        db.session.commit()


@lru_cache(maxsize=16)
def _update_statement(columns: tuple[str, ...]):
    # One statement per set of columns, built once per process: every message is
    # updated twice (kept, sent), and building the statement cost as much as running it.
    table = OutboxMessage.__table__
    return (
        update(OutboxMessage)
        .where(OutboxMessage.id == bindparam("outbox_id"), OutboxMessage.claim_token == bindparam("claim"))
        .values({column: bindparam(f"new_{column}", type_=table.c[column].type) for column in columns})
        .execution_options(synchronize_session=False)
    )
