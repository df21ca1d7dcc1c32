"""Email: the outbox, development .eml files, SMTP delivery, and failures kept queued."""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from lms.mail.models import OutboxMessage
from lms.mail.services import deliver_pending, queue_email
from tests.factories import UserFactory


class SMTPSink(socketserver.StreamRequestHandler):
    """Just enough SMTP to receive a message on loopback (a stand-in for a mail server)."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 sink ready")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 sink")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 ok")
            elif command == "DATA":
                self.reply("354 go on")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                self.server.received.append(body)
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not here")


@pytest.fixture
def smtp_sink():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPSink)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def queue_reset_email(app, user) -> None:
    with app.test_request_context():
        queue_email(user, "password_reset", "password_reset", link="http://localhost/x", minutes=60)


def test_mail_is_sent_by_smtp_when_configured(app, db, smtp_sink):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_sink.server_address[1], SMTP_STARTTLS=False)
    user = UserFactory(email="lan@example.org", full_name="Nguyễn Thị Lan", locale="vi")
    queue_reset_email(app, user)
    db.session.commit()
    assert deliver_pending() == 1
    message = message_from_bytes(smtp_sink.received[0], policy=policy.default)
    assert message["To"] == "lan@example.org"
    assert message["Subject"] == "Chọn mật khẩu mới"
    assert "Nguyễn Thị Lan" in message.get_body(preferencelist=("plain",)).get_content()
    row = db.session.scalar(select(OutboxMessage))
    assert row.sent_at is not None and row.attempts == 1


def test_a_failed_delivery_stays_queued_with_its_error(app, db):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_STARTTLS=False)  # nobody listens
    queue_reset_email(app, UserFactory())
    db.session.commit()
    assert deliver_pending() == 0
    row = db.session.scalar(select(OutboxMessage))
    assert row.sent_at is None
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error


def test_without_smtp_mail_is_written_as_eml_files(app, db, tmp_path):
    app.config.update(MAIL_DIR=str(tmp_path / "mail"))
    queue_reset_email(app, UserFactory(email="anna@example.org", locale="en"))
    db.session.commit()
    deliver_pending()
    (eml,) = (tmp_path / "mail").glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Choose a new password"
    assert message.get_body(preferencelist=("html",)).get_content().lstrip().startswith("<!doctype html>")


def test_send_mail_command_sends_what_is_queued(app, db, tmp_path):
    app.config.update(MAIL_DIR=str(tmp_path / "mail"))
    queue_reset_email(app, UserFactory())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["lms", "send-mail"])
    assert "sent 1 message(s)" in result.output
