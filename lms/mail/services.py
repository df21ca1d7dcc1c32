"""Queue emails in the recipient's language and deliver the outbox.

Services queue (flush only); delivery happens after the caller committed, so an email
never announces something that was rolled back. In development, with no SMTP server
configured, each message is written to the instance mail folder as an .eml file.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, g, render_template
from flask_babel import force_locale
from sqlalchemy import select

from lms.db import utcnow
from lms.extensions import db
from lms.mail.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def queue_email(
    recipient,
    kind: str,
    template: str,
    attachments: tuple[Attachment, ...] = (),
    **context,
) -> OutboxMessage:
    """Render ``mail/<template>.txt`` and ``.html`` in the recipient's language and queue it.

    ``recipient`` is a user (anything with ``email``, ``locale`` and ``full_name``).
    The subject is the template block ``subject`` of the text template.
    """
    with force_locale(recipient.locale):
        context = {"recipient": recipient, **context}
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    subject, _, body = text.partition("\n")
    message = build_message(recipient.email, subject.strip(), body.lstrip("\n"), html, attachments)
    row = OutboxMessage(
        recipient=recipient.email,
        subject=subject.strip(),
        locale=recipient.locale,
        kind=kind,
        raw=message.as_bytes(),
    )
    db.session.add(row)
    db.session.flush()
    g.mail_queued = True
    return row


def build_message(
    recipient: str, subject: str, text: str, html: str, attachments: tuple[Attachment, ...]
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="eip-training.local")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def deliver_pending(limit: int = 200) -> int:
    """Send queued messages; return how many went out. Failures stay queued."""
    pending = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = 0
    for message in pending:
        message.attempts += 1
        try:
            transport()(message)
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = f"{type(error).__name__}: {error}"
            log.warning("mail %s to %s not sent: %s", message.id, message.recipient, error)
        else:
            message.sent_at = utcnow()
            message.last_error = ""
            sent += 1
    db.session.commit()
    return sent


def transport():
    return send_by_smtp if current_app.config.get("SMTP_HOST") else write_to_folder


def write_to_folder(message: OutboxMessage) -> None:
    folder = Path(current_app.config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message.id:06d}-{message.kind}.eml"
    path.write_bytes(message.raw)
    log.info("mail %s to %s (%s) written to %s", message.id, message.recipient, message.subject, path)


def send_by_smtp(message: OutboxMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
        smtp.sendmail(_address(config["MAIL_FROM"]), [message.recipient], message.raw)
    log.info("mail %s to %s sent by SMTP", message.id, message.recipient)


def _address(header_value: str) -> str:
    return header_value.rsplit("<", 1)[-1].rstrip(">").strip()


def deliver_after_request(response):
    """After a request that queued mail (and committed), try to send it at once."""
    queued = g.pop("mail_queued", False)
    if queued and current_app.config["MAIL_DELIVER_IMMEDIATELY"] and response.status_code < 400:
        deliver_pending()
    return response
