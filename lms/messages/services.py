"""Writing, scheduling and cancelling a message; who it would reach; the opt-out.

The request only records the message (and its send time) in its own transaction; the
job of ``lms.messages.sending`` materialises the recipients and queues the emails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, update

from lms.accounts.models import User
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.models import Course
from lms.db import utcnow
from lms.errors import FieldError, ServiceError
from lms.extensions import db
from lms.i18n import pick_translation
from lms.jobs.queue import enqueue_after_commit
from lms.messages.audiences import Scope, audience_named
from lms.messages.models import Message, MessageOptOut, MessageState
from lms.messages.recipients import Reach, reach_of
from lms.messages.tasks import send_messages

MESSAGE_SENT = declare_action(
    "message.sent",
    _l("Sent a message to participants"),
    subject=Detail(_l("Subject"), Shown.TEXT),
    audience=Detail(_l("Audience")),
)
MESSAGE_SCHEDULED = declare_action(
    "message.scheduled",
    _l("Scheduled a message to participants"),
    subject=Detail(_l("Subject"), Shown.TEXT),
    audience=Detail(_l("Audience")),
    send_at=Detail(_l("Send time"), Shown.TIME),
)
MESSAGE_CANCELLED = declare_action(
    "message.cancelled",
    _l("Cancelled a scheduled message"),
    subject=Detail(_l("Subject"), Shown.TEXT),
)

SUBJECT_MAX = 200
BODY_MAX = 20_000


@dataclass
class Draft:
    """What the compose form holds: texts per language, the audience rule, the send time
    (None: now)."""

    subject: dict[str, str]
    body: dict[str, str]
    scope: Scope
    audience: str
    about_seats: bool = False
    send_at: datetime | None = None


def is_about_seats(draft: Draft) -> bool:
    chosen = audience_named(draft.audience)
    return draft.about_seats or bool(chosen and chosen.concerns_seats)


def check_texts(draft: Draft) -> None:
    """A subject and a body in at least one language, and never one without the other."""
    filled = False
    for code in sorted(set(draft.subject) | set(draft.body)):
        subject = (draft.subject.get(code) or "").strip()
        body = (draft.body.get(code) or "").strip()
        if bool(subject) != bool(body):
            missing = "body" if subject else "subject"
            raise FieldError(f"{missing}_{code}", _l("Please write both the subject and the message in this language, or leave both empty."))  # fmt: skip
        if len(subject) > SUBJECT_MAX:
            raise FieldError(f"subject_{code}", _l("The subject is too long (at most 200 characters)."))
        if len(body) > BODY_MAX:
            raise FieldError(f"body_{code}", _l("The message is too long (at most 20,000 characters)."))
        filled = filled or bool(subject)
    if not filled:
        raise ServiceError(_l("Please write the subject and the message in at least one language."))


def check_audience(draft: Draft, now: datetime) -> Reach:
    check_choices(draft, now)
    return check_reach(reach_of(draft.scope, draft.audience, is_about_seats(draft)))


def check_choices(draft: Draft, now: datetime) -> None:
    """An audience of the list and, when scheduled, a time ahead."""
    if audience_named(draft.audience) is None:
        raise FieldError("audience", _l("Please choose an audience from the list."))
    if draft.send_at is not None and draft.send_at <= now:
        raise FieldError("send_on", _l("The send time has passed. Please choose a later time, or send now."))


def check_reach(reach: Reach) -> Reach:
    """Somebody to send it to."""
    if reach.count == 0:
        raise ServiceError(
            _l(
                "Nobody would receive this message: the audience you chose is empty. Please choose another one."
            )
        )
    return reach


NOT_A_DRAFT = _l("This draft was sent or scheduled meanwhile: open it from the list of messages.")


def _fill(message: Message, draft: Draft) -> None:
    message.module_id = draft.scope.module.id if draft.scope.module else None
    message.run_id = draft.scope.run.id if draft.scope.run else None
    message.audience = draft.audience
    message.about_seats = is_about_seats(draft)
    message.subject = {code: text.strip() for code, text in draft.subject.items() if text.strip()}
    message.body = {code: text.strip() for code, text in draft.body.items() if text.strip()}


def save_draft(
    course: Course, draft: Draft, author: User, message: Message | None = None, now: datetime | None = None
) -> Message:
    """Keep the message as a draft, new or the same draft again. A draft may be
    unfinished: only its audience must be one of the list; nothing is sent."""
    if audience_named(draft.audience) is None:
        raise FieldError("audience", _l("Please choose an audience from the list."))
    if message is None:
        message = Message(course_id=course.id, author_id=author.id, created_at=now or utcnow())
        db.session.add(message)
    elif not message.is_draft:
        raise ServiceError(NOT_A_DRAFT)
    _fill(message, draft)
    message.state = MessageState.DRAFT
    message.send_at = draft.send_at
    db.session.flush()
    return message


def compose(
    course: Course, draft: Draft, author: User, now: datetime | None = None, message: Message | None = None
) -> Message:
    """Record the message, new or a saved draft: sent by a job at once, or at
    ``draft.send_at``."""
    now = now or utcnow()
    check_texts(draft)
    check_audience(draft, now)
    if message is None:
        message = Message(course_id=course.id, author_id=author.id, created_at=now)
        db.session.add(message)
    else:
        # Two people sending the same draft at once: one of them does.
        taken = db.session.execute(
            update(Message)
            .where(Message.id == message.id, Message.state == MessageState.DRAFT)
            .values(state=MessageState.SCHEDULED)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            raise ServiceError(NOT_A_DRAFT)
    _fill(message, draft)
    message.state = MessageState.SCHEDULED
    message.send_at = draft.send_at or now
    db.session.flush()
    if draft.send_at is None:
        record(MESSAGE_SENT, message, actor=author, course_id=course.id,
               subject=message.subject, audience=message.audience)  # fmt: skip
        wake_sender()
    else:
        record(MESSAGE_SCHEDULED, message, actor=author, course_id=course.id,
               subject=message.subject, audience=message.audience, send_at=message.send_at.isoformat())  # fmt: skip
    return message


def wake_sender() -> None:
    enqueue_after_commit(send_messages)


def cancel(message: Message, actor: User, now: datetime | None = None) -> None:
    """Stop a scheduled message before it goes; refused once a job has claimed it."""
    now = now or utcnow()
    result = db.session.execute(
        update(Message)
        .where(Message.id == message.id, Message.state == MessageState.SCHEDULED)
        .values(state=MessageState.CANCELLED, cancelled_at=now, cancelled_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ServiceError(_l("This message is no longer scheduled (it is being sent or was sent), so it cannot be cancelled."))  # fmt: skip
    db.session.refresh(message)
    record(MESSAGE_CANCELLED, message, actor=actor, course_id=message.course_id, subject=message.subject)


def texts_in(message_subject: dict, message_body: dict, locale: str):
    """(subject, body, language written in, is it a fallback) for a reader of ``locale``:
    the language that has both, preferring the reader's."""
    picked = pick_translation(message_subject, locale)
    body = message_body.get(picked.locale, "")
    return picked.text, body, picked.locale, picked.is_fallback


# -- the learner's choice ----------------------------------------------------------------


def receives_optional(user: User) -> bool:
    return db.session.get(MessageOptOut, user.id) is None


def set_optional_messages(user: User, wanted: bool) -> None:
    if wanted:
        db.session.execute(delete(MessageOptOut).where(MessageOptOut.user_id == user.id))
    elif db.session.get(MessageOptOut, user.id) is None:
        db.session.add(MessageOptOut(user_id=user.id))
    db.session.flush()
