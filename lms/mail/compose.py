"""Turn a queued email into the message itself, in the recipient's language."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app, render_template
from flask_babel import force_locale

from lms.mail.kinds import Attachment, builder_for


def compose(kind: str, locale: str, payload: dict, message_id: str) -> tuple[str, bytes]:
    """Build email ``kind`` from its payload; return (subject, RFC 5322 bytes).

    ``mail/<kind>.txt`` holds the subject on its first line and the plain text after;
    ``mail/<kind>.html`` the HTML alternative.
    """
    with force_locale(locale):
        composition = builder_for(kind)(payload)
        context = {"recipient": composition.recipient, **composition.context}
        text = render_template(f"mail/{kind}.txt", **context)
        html = render_template(f"mail/{kind}.html", **context)
    subject, _, body = text.partition("\n")
    subject = subject.strip()
    message = build_message(
        composition.recipient.email, subject, body.lstrip("\n"), html, composition.attachments, message_id
    )
    # CRLF line ends, as SMTP requires: smtplib sends bytes as they are, and a server
    # that enforces RFC 5321 refuses bare LF (one 'line' as long as the message).
    return subject, message.as_bytes(policy=policy.SMTP)


def build_message(
    recipient: str,
    subject: str,
    text: str,
    html: str,
    attachments: tuple[Attachment, ...],
    message_id: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def sender_address() -> str:
    """The bare address of ``MAIL_FROM`` (``Name <a@b>`` → ``a@b``)."""
    return current_app.config["MAIL_FROM"].rsplit("<", 1)[-1].rstrip(">").strip()
