"""The outbox against a real SMTP server: sent once, retried with backoff, failed
for good when refused, and never lost while the server is down or hangs."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy

from sqlalchemy import select

from lms.db import utcnow
from lms.jobs.queue import huey
from lms.mail.delivery import deliver_due
from lms.mail.models import MailStatus, OutboxMessage
from lms.mail.outbox import mail_health, queue_email, send_again
from tests.conftest import deliver_outbox
from tests.factories import UserFactory


def queue_reset(db, user, link="http://localhost/reset/x") -> OutboxMessage:
    row = queue_email(user, "password_reset", link=link, minutes=60)
    db.session.commit()
    return row


def rows(db) -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def later(seconds: float):
    return utcnow() + timedelta(seconds=seconds)


def test_queueing_records_the_intent_and_builds_nothing(db, learner):
    row = queue_reset(db, learner)
    assert row.status == MailStatus.QUEUED and row.raw is None and row.subject == ""
    assert row.payload == {"user_id": learner.id, "course_id": None, "link": "http://localhost/reset/x",
                           "minutes": 60}  # fmt: skip
    assert row.message_id.startswith("<") and row.attempts == 0


def test_a_commit_that_queued_mail_wakes_a_worker_and_a_rollback_sends_nothing(db, learner):
    huey.flush()
    queue_email(learner, "password_reset", link="x", minutes=1)
    db.session.rollback()
    assert rows(db) == []
    queue_reset(db, learner)
    assert huey.pending_count() >= 1  # the wake-up, enqueued after the commit


def test_an_undeclared_kind_is_refused_when_queued(db, learner):
    import pytest

    from lms.mail.kinds import UnknownMailKind

    with pytest.raises(UnknownMailKind):
        queue_email(learner, "no_such_email")


def test_a_worker_builds_and_sends_it_once_in_the_recipients_language(db, smtp_app, smtp_server, learner):
    row = queue_reset(db, learner)
    report = deliver_due()
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    (message,) = smtp_server.messages
    assert message["To"] == "lan@example.org"
    assert message["Subject"] == "Chọn mật khẩu mới"
    assert message["Message-ID"] == row.message_id
    assert "Nguyễn Thị Lan" in message.get_body(preferencelist=("plain",)).get_content()
    (sent,) = rows(db)
    assert sent.status == MailStatus.SENT and sent.sent_at is not None and sent.attempts == 1
    assert sent.subject == "Chọn mật khẩu mới" and sent.claim_token is None
    assert deliver_due().sent == 0
    assert len(smtp_server.messages) == 1


def test_without_smtp_mail_is_written_as_eml_files(app, db, tmp_path):
    app.config.update(MAIL_DIR=str(tmp_path / "mail"))
    queue_reset(db, UserFactory(email="anna@example.org", locale="en"))
    deliver_outbox(app)
    (eml,) = (tmp_path / "mail").glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Choose a new password"
    assert message.get_body(preferencelist=("html",)).get_content().lstrip().startswith("<!doctype html>")


def test_refused_connections_are_retried_with_backoff_and_delivered_once_after(
    db, smtp_app, smtp_server, learner
):
    smtp_app.config["MAIL_RETRY_DELAYS"] = [60, 300]
    queue_reset(db, learner)
    smtp_server.refuse()
    report = deliver_due()
    assert (report.sent, report.retrying) == (0, 1)
    (row,) = rows(db)
    assert row.status == MailStatus.QUEUED and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert later(50) < row.next_attempt_at < later(70)  # the first delay of the backoff
    assert deliver_due().sent == 0  # not due yet: nobody hammers a server that is down

    smtp_server.recover()
    assert deliver_due(now=later(61)).sent == 1
    (row,) = rows(db)
    assert row.status == MailStatus.SENT and row.attempts == 2 and row.last_error == ""
    assert len(smtp_server.message_ids()) == 1


def test_after_the_last_attempt_the_message_is_failed_and_can_be_sent_again(
    db, smtp_app, smtp_server, learner
):
    smtp_app.config["MAIL_RETRY_DELAYS"] = [60, 300]
    queue_reset(db, learner)
    smtp_server.refuse()
    deliver_due()
    deliver_due(now=later(61))
    report = deliver_due(now=later(61 + 301))
    assert report.failed == 1
    (row,) = rows(db)
    assert row.status == MailStatus.FAILED and row.attempts == 3 and row.failed_at is not None
    assert mail_health().failed == 1

    smtp_server.recover()
    assert send_again() == 1
    db.session.commit()
    assert deliver_due().sent == 1
    (row,) = rows(db)
    assert row.status == MailStatus.SENT and row.attempts == 1
    assert mail_health().failed == 0


def test_a_recipient_the_server_refuses_for_good_fails_at_once_and_the_rest_go(
    db, smtp_app, smtp_server, learner
):
    other = UserFactory(email="huong@example.org", locale="en")
    queue_reset(db, learner)
    queue_reset(db, other)
    smtp_server.reject_recipient("lan@example.org", code=550)
    report = deliver_due()
    assert (report.sent, report.failed) == (1, 1)
    refused, delivered = rows(db)
    assert refused.status == MailStatus.FAILED and "550" in refused.last_error
    assert delivered.status == MailStatus.SENT
    assert [message["To"] for message in smtp_server.messages] == ["huong@example.org"]


def test_a_temporary_refusal_is_retried(db, smtp_app, smtp_server, learner):
    queue_reset(db, learner)
    smtp_server.temporary_failure(451)
    assert deliver_due().retrying == 1
    smtp_server.recover()
    assert deliver_due(now=later(2)).sent == 1
    assert len(smtp_server.messages) == 1


def test_a_hanging_server_times_out_and_nothing_is_lost(db, smtp_app, smtp_server, learner):
    smtp_app.config["SMTP_TIMEOUT"] = 1
    for index in range(3):
        queue_reset(db, UserFactory(email=f"learner{index}@example.org"))
    smtp_server.hang()
    report = deliver_due()
    assert (report.sent, report.retrying) == (0, 3)
    assert {row.status for row in rows(db)} == {MailStatus.QUEUED}
    smtp_server.recover()
    assert deliver_due(now=later(2)).sent == 3
    assert sorted(Counter(smtp_server.message_ids()).values()) == [1, 1, 1]


def test_a_message_is_built_once_and_every_attempt_sends_the_same_bytes(db, smtp_app, smtp_server, learner):
    queue_reset(db, learner)
    smtp_server.temporary_failure(451)
    deliver_due()
    (row,) = rows(db)
    first_build = row.raw
    assert first_build is not None
    smtp_server.recover()
    deliver_due(now=later(2))
    (message,) = smtp_server.messages
    assert message["Message-ID"] == row.message_id
    (row,) = rows(db)
    assert row.raw == first_build


def test_concurrent_workers_send_every_message_exactly_once(db, smtp_app, smtp_server):
    for index in range(60):
        queue_email(UserFactory(email=f"l{index}@example.org"), "password_reset", link="x", minutes=5)
    db.session.commit()
    app = smtp_app
    reports = []

    def worker():
        with app.app_context():
            reports.append(deliver_due())
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(report.sent for report in reports) == 60
    assert smtp_server.wait_for(60, timeout=10)
    counts = Counter(smtp_server.message_ids())
    assert len(counts) == 60 and set(counts.values()) == {1}
    assert all(row.status == MailStatus.SENT and row.attempts == 1 for row in rows(db))


def test_a_dead_workers_claim_expires_and_another_worker_sends_the_message(
    db, smtp_app, smtp_server, learner
):
    from lms.mail.delivery import claim_batch

    queue_reset(db, learner)
    _token, batch = claim_batch(utcnow())  # a worker claims it, then dies
    assert len(batch) == 1
    assert deliver_due().sent == 0  # the claim holds while it is fresh
    lease = smtp_app.config["MAIL_LEASE_SECONDS"]
    assert deliver_due(now=later(lease + 1)).sent == 1
    (row,) = rows(db)
    assert row.status == MailStatus.SENT and row.attempts == 2
    assert len(smtp_server.messages) == 1


def test_health_reports_the_queue(client, db, learner):
    queue_reset(db, learner)
    db.session.execute(OutboxMessage.__table__.update().values(created_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    mail = client.get("/healthz").json["mail"]
    assert mail["queued"] == 1 and mail["failed"] == 0
    assert 590 <= mail["oldest_unsent_seconds"] <= 660


def test_send_mail_command_delivers_what_is_due(app, db, tmp_path, learner):
    app.config.update(MAIL_DIR=str(tmp_path / "mail"))
    queue_reset(db, learner)
    result = app.test_cli_runner().invoke(args=["lms", "send-mail"])
    assert "sent 1 message(s)" in result.output
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_a_worker_sends_only_the_messages_whose_claim_it_still_holds(db, smtp_app, smtp_server, learner):
    from lms.mail.delivery import claim_batch, deliver_batch

    queue_reset(db, learner)
    queue_reset(db, UserFactory(email="huong@example.org", locale="en"))
    token, batch = claim_batch(utcnow())  # a worker claims both, then stalls past its lease
    assert len(batch) == 2
    lease = smtp_app.config["MAIL_LEASE_SECONDS"]
    _, taken = claim_batch(later(lease + 1), size=1)  # another worker takes the first over
    assert [message.id for message in taken] == [batch[0].id]

    report = deliver_batch(token, batch)  # the first worker wakes up and goes on
    assert report.sent == 1
    assert [message["To"] for message in smtp_server.messages] == ["huong@example.org"]
    first, second = rows(db)
    assert first.status == MailStatus.SENDING and second.status == MailStatus.SENT


def test_a_delivery_that_leaves_retries_wakes_a_worker_when_the_first_falls_due(
    db, smtp_app, smtp_server, learner
):
    from datetime import UTC

    from lms.mail.tasks import deliver_and_wake_for_retries

    smtp_app.config["MAIL_RETRY_DELAYS"] = [30, 300]
    queue_reset(db, learner)
    huey.flush()  # the wake-up of the commit above
    smtp_server.refuse()
    deliver_and_wake_for_retries()
    (row,) = rows(db)
    assert row.status == MailStatus.QUEUED and later(25) < row.next_attempt_at < later(35)
    (wake_up,) = huey.pending()  # not the minute's sweep: a wake-up at the retry's time
    assert wake_up.name.endswith("deliver_mail")
    assert abs(wake_up.eta.replace(tzinfo=UTC) - row.next_attempt_at) < timedelta(seconds=1)
    huey.flush()


def test_message_ids_do_not_depend_on_the_random_modules_state(db, learner):
    import random

    random.seed(7)
    first = queue_reset(db, learner).message_id
    random.seed(7)
    second = queue_reset(db, learner).message_id
    assert first != second and first.endswith("@eip-training.example.org>")
