"""Email queued by real requests and delivered by real job worker processes
(``flask --app wsgi lms worker``), through a real SMTP server, on each database: with
the SQLite queue file and with Redis, with a worker killed mid-batch, with the SMTP
server refusing for a while, and with Redis killed while the web app enqueues.

Nothing is delivered in the test's own process: the test client makes the requests
(the web app writes the outbox rows and enqueues wake-ups), the workers do the rest.
Each test counts what the SMTP server received by Message-ID: every message exactly
once. Outcomes are awaited by polling with a deadline, never by sleeping.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lms.db import utcnow, write_intent
from lms.jobs.queue import huey
from lms.mail.models import MailStatus, OutboxMessage
from tests.factories import UserFactory, course_with_modules
from tests.job_workers import wait_until
from tests.mail.conftest import smtp_settings

# Generous: two shared cores, several processes starting at once. Outcomes usually
# arrive within a second or two.
DELIVERY_TIMEOUT = 45
# Tracebacks a worker logs (once a second) while Redis is down; expected in that test.
REDIS_DOWN_TRACEBACKS = (
    r"huey\.consumer\.Worker: Error reading from queue",
    r"huey\.consumer\.Scheduler: Error (reading schedule|enqueueing)",
)


@dataclass(frozen=True)
class Row:
    message_id: str
    recipient: str
    kind: str
    status: str
    attempts: int
    claimed_until: datetime | None
    last_error: str


def outbox(db) -> list[Row]:
    """The outbox read fresh, in a read-only transaction that ends at once (a worker
    process is writing to the same database meanwhile)."""
    with write_intent(False):
        rows = db.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.recipient, OutboxMessage.kind,
                   OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.claimed_until,
                   OutboxMessage.last_error).order_by(OutboxMessage.id)
        ).all()  # fmt: skip
        db.session.commit()
    return [Row(*row) for row in rows]


def learners(db, count: int, prefix: str = "learner") -> list[str]:
    emails = []
    for index in range(count):
        locale = "en" if index % 2 else "vi"
        emails.append(UserFactory(email=f"{prefix}{index}@example.org", locale=locale).email)
    db.session.commit()
    return emails


def ask_for_reset(client, email: str) -> None:
    """The password reset form, as a person sends it: the answer is the sign-in page."""
    response = client.submit("/account/reset", {"email": email})
    assert response.status_code == 200, response.status_code
    assert response.request.path == "/account/login"


def received(smtp_server) -> Counter:
    return Counter(smtp_server.message_ids())


def wait_for_delivery(db, smtp_server, count: int, timeout: float = DELIVERY_TIMEOUT) -> None:
    """Until the server has ``count`` distinct messages and the outbox records every
    message as sent (a worker records it after the server's answer)."""
    wait_until(
        lambda: (
            len(received(smtp_server)) >= count
            and [row.status for row in outbox(db)] == [MailStatus.SENT] * count
        ),
        timeout,
        f"{count} messages sent and received",
    )


def assert_each_sent_exactly_once(db, smtp_server, job_workers, expected: int) -> list[Row]:
    """Stop the workers (nothing more can arrive), then: every outbox row is sent, and
    the server received each Message-ID exactly once, and nothing else."""
    job_workers.stop_all()
    rows = outbox(db)
    assert len(rows) == expected
    assert [row.status for row in rows] == [MailStatus.SENT] * expected, [
        (r.status, r.last_error) for r in rows
    ]
    counts = received(smtp_server)
    assert counts == Counter({row.message_id: 1 for row in rows}), counts
    return rows


def sent_by(worker) -> int:
    """How many messages this worker handed to the SMTP server (its log says so)."""
    return worker.count("sent by SMTP")


# -- a. one worker, the SQLite queue file --------------------------------------------------


def test_a_worker_process_delivers_what_requests_queued(app, db, client, smtp_server, job_workers):
    course = course_with_modules(modules=1, slug="eip-mail")
    run = course.modules[0].runs[0]
    emails = learners(db, 3)
    registering = UserFactory(email="hanh@example.org", full_name="Vũ Thị Hạnh", locale="vi")
    db.session.commit()
    module_id, run_id = run.module_id, run.id
    assert app.config["JOBS_URL"].startswith("sqlite:///")  # the test app's queue file, shared

    worker = job_workers.start(**smtp_settings(smtp_server))
    for email in emails:
        ask_for_reset(client, email)
    client.sign_in(registering.email)
    response = client.submit(
        "/courses/eip-mail/register?lang=en",
        {"confirm_profile": "y", "consent": "course", f"module-{module_id}": f"run-{run_id}"},
    )
    assert "You are registered." in response.get_data(as_text=True)

    wait_for_delivery(db, smtp_server, 4)
    rows = assert_each_sent_exactly_once(db, smtp_server, job_workers, 4)
    assert [row.attempts for row in rows] == [1, 1, 1, 1]
    assert sent_by(worker) == 4  # the worker process sent them, not the test's process
    by_recipient = {message["To"]: message for message in smtp_server.messages}
    assert (
        by_recipient["learner0@example.org"]["Subject"] == "Chọn mật khẩu mới"
    )  # in the recipient's language
    assert by_recipient["learner1@example.org"]["Subject"] == "Choose a new password"
    confirmation = by_recipient["hanh@example.org"]
    assert [part.get_filename() for part in confirmation.iter_attachments()] == ["eip-schedule.ics"]


# -- b. Redis: the app and two workers share it ---------------------------------------------


def test_two_worker_processes_on_redis_deliver_each_message_once(
    app, db, client, smtp_server, job_workers, use_queue, redis_url
):
    emails = learners(db, 12)
    use_queue(redis_url)
    assert type(huey.storage).__name__ == "RedisStorage"
    first, second = (job_workers.start(wait=False, **smtp_settings(smtp_server)) for _ in range(2))
    first.wait_started(), second.wait_started()
    smtp_server.slow(0.2)  # each message holds its worker a little: the workers overlap

    for email in emails:
        ask_for_reset(client, email)

    wait_for_delivery(db, smtp_server, len(emails))
    assert_each_sent_exactly_once(db, smtp_server, job_workers, len(emails))
    assert sent_by(first) + sent_by(second) == len(emails)
    # Woken through Redis (the periodic sweep comes only once a minute):
    woken = first.count("Executing lms.mail.tasks.deliver_mail") + second.count(
        "Executing lms.mail.tasks.deliver_mail"
    )
    assert woken >= 1
    print(f"\n[{db.engine.dialect.name}] sent by worker 1: {sent_by(first)}, worker 2: {sent_by(second)}")


# -- c. a worker killed in the middle of a batch ---------------------------------------------


def test_a_batch_of_a_killed_worker_is_sent_by_another_after_its_lease(db, client, smtp_server, job_workers):
    emails = learners(db, 4)
    for email in emails:  # queued before any worker runs: the first worker claims them at once
        ask_for_reset(client, email)
    smtp_server.hang()  # accepts the connection, never greets: nothing can be accepted
    lease = {"MAIL_LEASE_SECONDS": 3}
    doomed = job_workers.start(**smtp_settings(smtp_server, timeout=120), **lease)

    wait_until(
        lambda: {row.status for row in outbox(db)} == {MailStatus.SENDING},
        DELIVERY_TIMEOUT,
        "the worker to claim every message",
    )
    doomed.kill()
    assert smtp_server.messages == []
    smtp_server.recover()
    # The claim holds until its lease ends; then a new worker's periodic sweep (run when
    # its scheduler starts, and every minute) takes the messages over.
    wait_until(
        lambda: all(row.claimed_until < utcnow() for row in outbox(db)), 30, "the dead worker's lease to end"
    )
    successor = job_workers.start(**smtp_settings(smtp_server), **lease)

    wait_for_delivery(db, smtp_server, len(emails))
    rows = assert_each_sent_exactly_once(db, smtp_server, job_workers, len(emails))
    assert [row.attempts for row in rows] == [2] * len(emails)  # the killed attempt counts
    assert sent_by(successor) == len(emails) and sent_by(doomed) == 0


# -- d. the SMTP server refuses for a while ----------------------------------------------------


def test_mail_refused_for_a_while_is_retried_and_delivered_once_when_the_server_is_back(
    db, client, smtp_server, job_workers
):
    emails = learners(db, 3)
    smtp_server.refuse()
    job_workers.start(**smtp_settings(smtp_server), MAIL_RETRY_DELAYS=",".join(["1"] * 20))
    for email in emails:
        ask_for_reset(client, email)

    # Refused, and refused again on the retries: the messages wait, none is lost.
    wait_until(
        lambda: all(row.attempts >= 2 and row.status == MailStatus.QUEUED for row in outbox(db)),
        DELIVERY_TIMEOUT,
        "every message to be refused twice",
    )
    assert "ConnectionRefusedError" in outbox(db)[0].last_error
    smtp_server.recover()

    wait_for_delivery(db, smtp_server, len(emails))
    rows = assert_each_sent_exactly_once(db, smtp_server, job_workers, len(emails))
    assert all(row.attempts >= 3 and row.last_error == "" for row in rows)


# -- e. Redis killed while the web app enqueues ----------------------------------------------


def test_requests_succeed_while_redis_is_down_and_their_mail_goes_after_it_is_back(
    db, client, smtp_server, job_workers, use_queue, redis_server
):
    before, during, after = learners(db, 1, "before"), learners(db, 2, "during"), learners(db, 1, "after")
    use_queue(redis_server.url())
    job_workers.allow(*REDIS_DOWN_TRACEBACKS)
    worker = job_workers.start(**smtp_settings(smtp_server))
    ask_for_reset(client, before[0])
    wait_for_delivery(db, smtp_server, 1)

    redis_server.kill()
    for email in during:
        ask_for_reset(client, email)  # no 5xx: the commit stands, only the wake-up is lost
    rows = outbox(db)
    assert [row.status for row in rows] == [MailStatus.SENT, MailStatus.QUEUED, MailStatus.QUEUED]
    assert len(received(smtp_server)) == 1

    redis_server.restart()  # empty: the two wake-ups are gone for good
    # What the periodic sweep does every minute, started by hand (as cron would):
    swept = job_workers.command("send-mail", **smtp_settings(smtp_server))
    assert swept.returncode == 0, swept.stderr
    wait_for_delivery(db, smtp_server, 3)
    # The worker lived through the outage and is woken through Redis again.
    assert worker.running
    ask_for_reset(client, after[0])
    wait_for_delivery(db, smtp_server, 4)
    assert_each_sent_exactly_once(db, smtp_server, job_workers, 4)
    assert sent_by(worker) >= 2  # the first and the last, at least


# -- a batch that takes longer than the lease ------------------------------------------------


def test_a_batch_that_outlasts_the_lease_is_sent_once_while_others_sweep(
    db, client, smtp_server, job_workers
):
    emails = learners(db, 16)
    for email in emails:  # queued before the worker starts: it claims all 16 in one batch
        ask_for_reset(client, email)
    smtp_server.slow(0.5)  # 16 messages take 8 s over the worker's one connection
    lease = {"MAIL_LEASE_SECONDS": 2}
    worker = job_workers.start(**smtp_settings(smtp_server), **lease)
    # Six received: the worker has been at it for longer than its lease.
    wait_until(lambda: len(received(smtp_server)) >= 6, DELIVERY_TIMEOUT, "six messages received")
    # Another deliverer comes by meanwhile (cron's send-mail, another machine's sweep).
    other = job_workers.command("send-mail", **smtp_settings(smtp_server), **lease)
    assert other.returncode == 0, other.stderr

    wait_for_delivery(db, smtp_server, len(emails))
    assert_each_sent_exactly_once(db, smtp_server, job_workers, len(emails))
    assert "sent 0 message(s)" in other.stdout  # the working worker kept its claim
    assert sent_by(worker) == len(emails)
