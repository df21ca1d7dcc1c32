"""The personal data messages hold about a learner (lms.personal_data).

- Export: the messages they received (subject in their language, when it went) and
  whether they turned optional messages off. The messages organisers wrote are theirs,
  not the learner's: only what the learner received is listed.
- Erase: the recipient rows stay, de-identified (the person's id emptied), so a
  message's list keeps how many people it reached while no longer saying who; the
  opt-out, a choice of the person, is removed.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from lms.accounts.models import User
from lms.extensions import db
from lms.messages.models import Message, MessageOptOut, MessageRecipient
from lms.messages.services import texts_in
from lms.personal_data import PersonalData


def export_received(user_id: int) -> list[dict]:
    user = db.session.get(User, user_id)
    locale = user.locale if user else "vi"
    rows = db.session.execute(
        select(Message.subject, Message.body, Message.sent_at)
        .join(MessageRecipient, MessageRecipient.message_id == Message.id)
        .where(MessageRecipient.user_id == user_id)
        .order_by(Message.sent_at)
    )
    return [
        {"subject": texts_in(subject, body, locale)[0], "sent_at": sent_at.isoformat() if sent_at else None}
        for subject, body, sent_at in rows
    ]


def erase_received(user_id: int) -> None:
    db.session.execute(
        update(MessageRecipient)
        .where(MessageRecipient.user_id == user_id)
        .values(user_id=None)
        .execution_options(synchronize_session=False)
    )


def export_opt_out(user_id: int) -> list[dict]:
    row = db.session.get(MessageOptOut, user_id)
    return [] if row is None else [{"optional_messages": "off", "since": row.created_at.isoformat()}]


def erase_opt_out(user_id: int) -> None:
    db.session.execute(delete(MessageOptOut).where(MessageOptOut.user_id == user_id))


PERSONAL_DATA = (
    PersonalData("participant_messages", _l("Messages you received"), export_received, erase_received),
    PersonalData(
        "message_preferences", _l("Your choice about optional messages"), export_opt_out, erase_opt_out
    ),
)
