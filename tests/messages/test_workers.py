"""Messages sent by real job worker processes (``flask --app wsgi lms worker``): requests
record them, two workers claim and write the recipients, and the mail jobs deliver
through a real SMTP server: each recipient gets each message exactly once."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from lms.db import write_intent
from lms.messages.models import Message, MessageRecipient, MessageState
from tests.job_workers import wait_until
from tests.mail.conftest import smtp_settings

TIMEOUT = 60


def test_two_worker_processes_send_each_message_once_to_each_recipient(
    db, client, smtp_server, job_workers, edition
):
    workers = [job_workers.start(wait=False, **smtp_settings(smtp_server)) for _ in range(2)]
    for worker in workers:
        worker.wait_started()
    client.sign_in(edition.organiser.email)
    for number in range(3):
        response = client.submit("/organise/courses/known/messages/new", {
            "scope": "edition", "audience": "everyone", "when": "now", "action": "send",
            "subject_vi": f"Tin số {number}", "body_vi": "Nội dung.", "subject_en": f"News {number}", "body_en": "Text.",
        })  # fmt: skip
        assert response.status_code == 200

    def all_sent():
        with write_intent(False):  # a read: never hold SQLite's write lock while polling
            states = db.session.scalars(select(Message.state)).all()
            db.session.rollback()
        return len(smtp_server.messages) >= 15 and states == [MessageState.SENT] * 3

    wait_until(all_sent, TIMEOUT, "15 emails (3 messages × 5 people) at the SMTP server")
    job_workers.stop_all()
    received = Counter((message["To"], message["Subject"]) for message in smtp_server.messages)
    assert len(received) == 15 and set(received.values()) == {1}
    assert db.session.scalar(select(func.count()).select_from(MessageRecipient)) == 15
    executed = sum(worker.count("Executing lms.messages.tasks") for worker in workers)
    assert executed >= 1  # the workers wrote the recipients, not this process
