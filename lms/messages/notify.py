"""The email of a message to participants, built by a mail worker in the recipient's
language: the text in that language, or in the other one, marked as such."""

from __future__ import annotations

from flask import url_for

from lms.accounts.notify import recipient_of
from lms.extensions import db
from lms.i18n import current_locale, language_name, tr_text
from lms.mail.kinds import Composition, RecipientGone
from lms.messages.models import Message
from lms.messages.sending import MAIL_KIND
from lms.messages.services import texts_in
from lms.urls import external_url


def concerned_page(message: Message, external: bool = True) -> str:
    """The page a message is about: the module's page, My schedule for a run (where the
    learner's session and its link are), the course page for the whole edition."""
    link = external_url if external else url_for
    if message.run_id is not None:
        return link("my.schedule")
    if message.module is not None:
        return link("catalogue.module", slug=message.course.slug, key=message.module.key)
    return link("catalogue.course", slug=message.course.slug)


def build_participant_message(payload: dict) -> Composition:
    user = recipient_of(payload)
    message = db.session.get(Message, payload["notice_id"])
    if message is None:
        raise RecipientGone(f"message {payload['notice_id']} no longer exists")
    subject, body, written_in, fallback = texts_in(message.subject, message.body, current_locale())
    return Composition(
        recipient=user,
        context={
            "subject": subject,
            "body": body,
            "fallback_language": language_name(written_in) if fallback else None,
            "written_in": written_in,
            "course_title": tr_text(message.course.title),
            "author": message.author.full_name,
            "page_url": concerned_page(message),
            "message_url": external_url("inbox.received", message_id=message.id),
        },
    )


MAIL_KINDS = {MAIL_KIND: build_participant_message}
