"""The personal data the outbox holds: every email sent (or to be sent) to the person,
with its address and, once built, the whole message. See lms.personal_data.

Rows stay (the organisers' mail figures count them) without the address, the subject
or the message; one not sent yet is not sent any more.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.db import utcnow
from lms.extensions import db
from lms.mail.models import MailStatus, OutboxMessage
from lms.personal_data import PersonalData

# What a scrubbed row's recipient says (the column is required; .invalid reaches nobody).
REMOVED_RECIPIENT = "removed@invalid"
RECIPIENT_REMOVED = "The recipient's personal data was removed."


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def messages_to(user_id: int) -> list[OutboxMessage]:
    # every email is queued for a user and names them in its payload (lms.mail.outbox)
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.payload["user_id"].as_integer() == user_id)
            .order_by(OutboxMessage.id)
        )
    )


def export_messages(user_id: int) -> list[dict]:
    return [
        {"kind": message.kind, "subject": message.subject, "to": message.recipient, "status": message.status,
         "queued_at": _iso(message.created_at), "sent_at": _iso(message.sent_at)}
        for message in messages_to(user_id)
    ]  # fmt: skip


def scrub(message: OutboxMessage) -> None:
    """Keep the row, drop what names or reaches the person; stop it if unsent."""
    if message.status in (MailStatus.QUEUED, MailStatus.SENDING):
        message.status = MailStatus.FAILED
        message.failed_at = utcnow()
        message.last_error = RECIPIENT_REMOVED
        message.claim_token = None
    message.recipient = REMOVED_RECIPIENT
    message.subject = ""
    message.raw = None
    message.payload = {"user_id": message.payload.get("user_id")}


def erase_messages(user_id: int) -> None:
    for message in messages_to(user_id):
        scrub(message)
    db.session.flush()


PERSONAL_DATA = (
    PersonalData("messages_received", _l("Emails sent to you"), export_messages, erase_messages),
)
