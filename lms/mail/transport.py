"""Handing messages over: to an SMTP server, or (no server configured, development) as
``.eml`` files in the instance mail folder.

A transport is opened once per batch, so one SMTP connection carries many messages.
Errors are sorted into those of one message (the server refused this recipient or
this content: permanent, never retried) and those of the connection (the server is
down, slow or hung up: temporary, the batch's other messages wait for a retry).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from pathlib import Path

from flask import current_app

from lms.mail.compose import sender_address

log = logging.getLogger(__name__)


class MessageRefused(Exception):
    """The server refused this message, and the connection stays usable for others.
    ``permanent``: a 5xx for its recipient or content (never retried); else a 4xx."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


class ConnectionFailed(Exception):
    """The server could not be reached, timed out or dropped the connection."""


def open_transport():
    config = current_app.config
    if config.get("SMTP_HOST"):
        return SmtpTransport(config)
    return FolderTransport(Path(config["MAIL_DIR"]))


class FolderTransport:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send(self, message_number: int, kind: str, recipient: str, raw: bytes) -> None:
        path = self.folder / f"{message_number:06d}-{kind}.eml"
        try:
            path.write_bytes(raw)
        except OSError as error:
            raise ConnectionFailed(f"{type(error).__name__}: {error}") from error
        log.info("mail %s to %s written to %s", message_number, recipient, path)


class SmtpTransport:
    def __init__(self, config) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self):
        config = self.config
        try:
            self.smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
            if config["SMTP_STARTTLS"]:
                self.smtp.starttls()
            if config.get("SMTP_USER"):
                self.smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
        except (OSError, smtplib.SMTPException) as error:
            self._close()
            raise ConnectionFailed(describe(error)) from error
        return self

    def __exit__(self, *exc) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()
            self._close()

    def _close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError):
                self.smtp.close()
        self.smtp = None

    def send(self, message_number: int, kind: str, recipient: str, raw: bytes) -> None:
        if self.smtp is None:
            raise ConnectionFailed("the connection was closed after an earlier error")
        try:
            self.smtp.sendmail(sender_address(), [recipient], raw)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            permanent = bool(codes) and all(code >= 500 for code in codes)
            raise MessageRefused(describe(error), permanent) from error
        except smtplib.SMTPDataError as error:
            raise MessageRefused(describe(error), error.smtp_code >= 500) from error
        except (OSError, smtplib.SMTPException) as error:
            self._close()  # a timeout or a dropped connection leaves it unusable
            raise ConnectionFailed(describe(error)) from error
        log.info("mail %s to %s sent by SMTP", message_number, recipient)


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
