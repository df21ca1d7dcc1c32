"""Turn a queued email into the message itself, in the recipient's language."""

from __future__ import annotations

from email import policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate
from functools import lru_cache

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


class _HeaderFactory(HeaderRegistry):
    """The email package's header factory, minus work it repeats for every message.

    Python's registry makes a new header class (``type(...)``) for every header it
    parses, and every message parses the same MIME headers (Content-Type,
    Content-Transfer-Encoding, MIME-Version, From) again, some twice: about a quarter of
    building a confirmation. Here each class is made once per header name, and the
    headers of :data:`KEPT` are parsed once per value and process. Header objects are
    immutable strings with their parse, so a kept one is the very object a new parse
    would make. Only those headers are kept, whose values the email package or the
    configuration write: never the recipient, the subject, an attachment's file name or
    anything else a person wrote or is named in."""

    KEPT = frozenset({"content-type", "content-transfer-encoding", "mime-version", "from"})

    def __getitem__(self, name: str):
        return _header_class(self, name.lower())

    def __call__(self, name: str, value: str):
        if name.lower() in self.KEPT:
            return _kept_header(self, name, value)
        return self[name](name, value)


@lru_cache(maxsize=64)
def _header_class(registry: _HeaderFactory, name: str):
    return HeaderRegistry.__getitem__(registry, name)


@lru_cache(maxsize=256)
def _kept_header(registry: _HeaderFactory, name: str, value: str):
    return registry[name](name, value)


# The default policy with that factory: parts made by add_alternative and
# add_attachment take their message's policy, so every header goes through it.
MESSAGE_POLICY = policy.default.clone(header_factory=_HeaderFactory())


def build_message(
    recipient: str,
    subject: str,
    text: str,
    html: str,
    attachments: tuple[Attachment, ...],
    message_id: str,
) -> EmailMessage:
    message = EmailMessage(policy=MESSAGE_POLICY)
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
