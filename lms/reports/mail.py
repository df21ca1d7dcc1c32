"""Outgoing mail as organisers see it: every message of the outbox, newest first, a page
at a time, filtered by edition, kind, status and recipient; and sending failed
messages again.

The page reads in a fixed number of queries whatever the size of the outbox. Sending
again only changes rows (``lms.mail.outbox.send_again``) and records who did it; the
route's commit wakes a worker, which does the sending.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.models import Course
from lms.catalogue.services import editions_by_id
from lms.db import parse_integer
from lms.extensions import db
from lms.mail.kinds import declared_kinds
from lms.mail.models import MailStatus, OutboxMessage
from lms.mail.outbox import MailHealth, mail_health, send_again

# The audit log's actions recorded here (lms.audit.actions).
MAIL_SENT_AGAIN = declare_action(
    "mail.sent_again",
    _l("Sent a failed email again"),
    kind=Detail(_l("Kind of email")),
)
FAILED_MAIL_SENT_AGAIN = declare_action(
    "mail.failed_sent_again",
    _l("Sent the failed emails again"),
    count=Detail(_l("Emails"), Shown.NUMBER),
    kind=Detail(_l("Kind of email")),
)


PAGE_SIZE = 50
RECIPIENT_MAX = 254  # the longest address the outbox holds
CHUNK = 500  # ids per statement when sending many again (SQLite limits bound parameters)

# Every kind of email declared in create_app has a label here (a test says so).
KIND_LABELS = {
    "password_reset": _l("Password reset"),
    "registration_confirmed": _l("Registration confirmed"),
    "registration_changed": _l("Registration changed"),
    "waiting_list_promoted": _l("Seat from the waiting list"),
    "registration_cancelled": _l("Registration cancelled"),
    "reminder": _l("Session reminder"),
    "run_rescheduled": _l("Run rescheduled"),
    "run_cancelled": _l("Run cancelled"),
    "quiz_graded": _l("Quiz graded"),
    "certificate_issued": _l("Certificate issued"),
    "participant_message": _l("Message to participants"),
    "privacy_data_ready": _l("Copy of personal data ready"),
    "privacy_deletion_done": _l("Account deleted"),
    "recording_added": _l("Recording available"),
    "evaluation_invitation": _l("Evaluation of a module open"),
    "evaluation_reminder": _l("Evaluation reminder"),
    "follow_up_invitation": _l("Follow-up survey"),
}
STATUS_LABELS = {
    MailStatus.QUEUED: _l("Queued"),
    MailStatus.SENDING: _l("Sending"),
    MailStatus.SENT: _l("Sent"),
    MailStatus.FAILED: _l("Failed"),
}


def kind_label(kind: str) -> str:
    """The kind in words; a kind no longer declared shows its code, readable."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ").capitalize()


def status_label(status: str) -> str:
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


@dataclass(frozen=True)
class MailFilter:
    """What the organiser asked to see. ``valid`` is False when a value was given
    that is not an edition, kind or status this page knows (a tampered address)."""

    course_id: int | None = None
    kind: str | None = None
    status: str | None = None
    recipient: str = ""
    page: int = 1
    valid: bool = True

    @classmethod
    def parse(cls, values, course_ids) -> MailFilter:
        """From the query string (or a form's hidden fields); ``course_ids`` are the
        editions that exist. An unknown value is dropped and marks the filter invalid."""
        valid = True
        course_text = values.get("course", "")
        course_id = parse_integer(course_text)
        if course_text and course_id not in course_ids:
            course_id, valid = None, False
        kind = values.get("kind", "") or None
        if kind is not None and kind not in declared_kinds() and kind not in KIND_LABELS:
            kind, valid = None, False
        status = values.get("status", "") or None
        if status is not None and status not in STATUS_LABELS:
            status, valid = None, False
        recipient = values.get("recipient", "").strip()[:RECIPIENT_MAX]
        page = parse_integer(values.get("page")) or 1
        return cls(course_id, kind, status, recipient, page, valid)

    @property
    def is_narrowed(self) -> bool:
        return bool(self.course_id or self.kind or self.status or self.recipient)

    def args(self, **changes) -> dict:
        """The query string of this filter (empty values left out), for links."""
        chosen = replace(self, **changes)
        values = {"course": chosen.course_id, "kind": chosen.kind, "status": chosen.status,
                  "recipient": chosen.recipient, "page": chosen.page if chosen.page > 1 else None}  # fmt: skip
        return {name: value for name, value in values.items() if value}

    def scope(self):
        """The edition and kind: what "send again all failed" is limited to."""
        conditions = []
        if self.course_id is not None:
            conditions.append(OutboxMessage.course_id == self.course_id)
        if self.kind is not None:
            conditions.append(OutboxMessage.kind == self.kind)
        return and_(True, *conditions)

    def shown(self):
        """The scope, narrowed by status and recipient: the rows listed."""
        conditions = []
        if self.status is not None:
            conditions.append(OutboxMessage.status == self.status)
        if self.recipient:
            conditions.append(OutboxMessage.recipient.icontains(self.recipient, autoescape=True))
        return and_(True, *conditions)


@dataclass(frozen=True)
class MailPage:
    messages: list[OutboxMessage]
    total: int  # rows matching the whole filter
    failed_in_scope: int  # failed rows of the filter's edition and kind
    page: int
    pages: int
    courses: dict[int, Course]
    health: MailHealth

    @property
    def oldest_unsent_age(self) -> timedelta | None:
        seconds = self.health.oldest_unsent_seconds
        return None if seconds is None else timedelta(seconds=seconds)


def course_choices() -> dict[int, Course]:
    return editions_by_id()


def mail_page(chosen: MailFilter, courses: dict[int, Course]) -> MailPage:
    """One page of messages in three queries (counts, rows, health), whatever the size
    of the outbox; ``courses`` (one more query) names the editions."""
    scope, shown = chosen.scope(), chosen.shown()
    total, failed = db.session.execute(
        select(
            func.count(case((shown, 1))),
            func.count(case((OutboxMessage.status == MailStatus.FAILED, 1))),
        ).where(scope)
    ).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(chosen.page, 1), pages)
    messages = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(scope, shown)
            # Newest first: ids grow with time, and the primary key orders without a sort.
            .order_by(OutboxMessage.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    return MailPage(messages, total, failed, page, pages, courses, mail_health())


def find_message(message_id: int) -> OutboxMessage | None:
    # The app's int converter keeps ids within INTEGER's range before they get here.
    return db.session.get(OutboxMessage, message_id)


def send_message_again(message: OutboxMessage, actor) -> bool:
    """Queue one failed message again with fresh attempts; False if it is not failed
    (sent again already, by someone else or a moment ago)."""
    if not send_again([message.id]):
        return False
    record(MAIL_SENT_AGAIN, message, actor=actor, course_id=message.course_id, kind=message.kind)
    return True


def send_failed_again(scope: MailFilter, actor) -> int:
    """Queue every failed message of the filter's edition and kind again; how many."""
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == MailStatus.FAILED, scope.scope())
            .order_by(OutboxMessage.id)
        )
    )
    count = sum(send_again(ids[start : start + CHUNK]) for start in range(0, len(ids), CHUNK))
    if count:
        details = {"count": count} | ({"kind": scope.kind} if scope.kind else {})
        record(FAILED_MAIL_SENT_AGAIN, None, actor=actor, course_id=scope.course_id, **details)
    return count
