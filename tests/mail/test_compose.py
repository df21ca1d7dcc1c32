"""Building a message: the header factory that parses the MIME headers once per process
writes the very bytes Python's own does, and keeps nothing personal."""

from __future__ import annotations

import random
from email import policy
from email.message import EmailMessage

from lms.mail import compose
from lms.mail.kinds import Attachment

CALENDAR = Attachment(
    "eip-schedule.ics", "text/calendar; charset=utf-8", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
)


def built(app, message_policy, recipient: str, subject: str) -> bytes:
    """A message as build_message makes it, with the given policy, its boundaries from a
    seeded generator (they are random)."""
    original = compose.MESSAGE_POLICY
    compose.MESSAGE_POLICY = message_policy
    try:
        with app.app_context():
            message = compose.build_message(
                recipient, subject, "Xin chào Lan,\n" * 40, "<p>Xin chào</p>" * 40, (CALENDAR,), "<1@x>"
            )
        random.seed(3)
        return message.as_bytes(policy=policy.SMTP)
    finally:
        compose.MESSAGE_POLICY = original


def test_messages_are_byte_for_byte_those_of_the_standard_header_factory(app):
    for recipient, subject in [
        ("lan@example.org", "Xác nhận đăng ký: Khóa đào tạo trực tuyến về khu công nghiệp sinh thái 2030"),
        ("an@example.org", "You are registered"),
        ("lan@example.org", "Xác nhận đăng ký: Khóa đào tạo trực tuyến về khu công nghiệp sinh thái 2030"),
    ]:
        ours = built(app, compose.MESSAGE_POLICY, recipient, subject)
        standard = built(app, policy.default, recipient, subject)
        assert ours == standard
        assert f"To: {recipient}".encode() in ours


def test_parts_use_the_factory_and_nothing_personal_is_kept(app):
    compose._kept_header.cache_clear()
    with app.app_context():
        message = compose.build_message(
            "lan@example.org", "Chào Lan", "text", "<p>html</p>", (CALENDAR,), "<2@x>"
        )
    assert isinstance(message, EmailMessage)
    assert all(part.policy is compose.MESSAGE_POLICY for part in message.walk())
    kept = compose._kept_header.cache_info().currsize
    assert kept > 0  # the MIME headers were kept ...
    with app.app_context():
        compose.build_message("an@example.org", "Chào An", "text", "<p>html</p>", (CALENDAR,), "<3@x>")
    # ... and another recipient's message adds none: its address, subject and id are not kept
    assert compose._kept_header.cache_info().currsize == kept
