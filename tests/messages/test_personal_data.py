"""What messages hold about a learner: the download lists what they received; erasure
de-identifies the recipient rows (the count stays) and removes their choice."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.messages import sending, services
from lms.messages.models import Message, MessageOptOut, MessageRecipient
from lms.personal_data import declared_personal_data
from tests.factories import MessageFactory


def test_export_and_erase(app, db, edition):
    ann = edition.people["ann"]
    message = MessageFactory(course_id=edition.course.id, author_id=edition.organiser.id, audience="seat",
                             about_seats=True)  # fmt: skip
    MessageFactory(course_id=edition.course.id, author_id=edition.organiser.id, audience="waiting")  # not ann
    services.set_optional_messages(ann, False)
    db.session.commit()
    sending.send_due()
    holders = {item.key: item for item in declared_personal_data()}
    received = holders["participant_messages"].export(ann.id)
    assert [row["subject"] for row in received] == ["News about the course"]  # in her language
    assert received[0]["sent_at"]
    assert holders["message_preferences"].export(ann.id)[0]["optional_messages"] == "off"

    for holder in (holders["participant_messages"], holders["message_preferences"]):
        holder.erase(ann.id)
    db.session.commit()
    assert holders["participant_messages"].export(ann.id) == []
    assert holders["message_preferences"].export(ann.id) == []
    assert db.session.get(MessageOptOut, ann.id) is None
    rows = db.session.scalar(
        select(func.count()).select_from(MessageRecipient).where(MessageRecipient.message_id == message.id)
    )
    assert rows == 3 == db.session.get(Message, message.id).recipient_count  # the count stays, not who
    assert ann.id not in set(db.session.scalars(select(MessageRecipient.user_id)))
