"""A burst of registrations through gunicorn, with two job worker processes sending the
confirmations to a real SMTP server: nobody gets a 5xx, and every learner's
confirmation arrives exactly once (counted by Message-ID), on SQLite and PostgreSQL.

The web workers write the outbox rows and enqueue wake-ups on the shared queue (the
test's SQLite queue file); the job workers, two processes of two threads each, claim
batches concurrently while the burst goes on.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from lms.db import write_intent
from lms.mail.models import MailStatus, OutboxMessage
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory
from tests.gunicorn_server import Browser, burst, gunicorn_server, prepare
from tests.job_workers import wait_until
from tests.mail.conftest import smtp_settings

LEARNERS = 30
SEATS = 10  # the other 20 take the waiting list: a confirmation each all the same


def outbox(db) -> list[tuple[str, str, str, int]]:
    with write_intent(False):
        rows = db.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.recipient, OutboxMessage.status,
                   OutboxMessage.attempts).where(OutboxMessage.kind == "registration_confirmed")
        ).all()  # fmt: skip
        db.session.commit()
    return [tuple(row) for row in rows]


def test_a_burst_of_registrations_gets_every_confirmation_exactly_once(
    app, db, tmp_path, database_url, smtp_server, job_workers
):
    course = CourseFactory(slug="burst")
    module = ModuleFactory(course=course, key="m1", position=1)
    run = RunFactory(module=module, key="a", capacity=SEATS)
    emails = [UserFactory(email=f"learner{index:02d}@example.org").email for index in range(LEARNERS)]
    db.session.commit()
    module_id, run_id = module.id, run.id
    db.session.close()  # SQLite: no transaction of the test's own while the servers write

    smtp_server.slow(0.05)  # a message holds its worker a moment: the two workers overlap
    workers = [job_workers.start(wait=False, **smtp_settings(smtp_server)) for _ in range(2)]
    with gunicorn_server(database_url, tmp_path, {"JOBS_URL": app.config["JOBS_URL"]}) as base:
        for worker in workers:  # started alongside gunicorn
            worker.wait_started()
        browsers = [Browser(base) for _ in emails]
        tokens = prepare(browsers, emails, "/courses/burst/register")
        form = {"confirm_profile": "y", "consent": "course", f"module-{module_id}": f"wait-{run_id}"}
        results = burst(
            browsers, [("/courses/burst/register?lang=en", {"csrf_token": token, **form}) for token in tokens]
        )
        assert [status for status, _ in results if status >= 500] == []
        assert all("You are registered." in text for _, text in results)

        wait_until(
            lambda: len(rows := outbox(db)) == LEARNERS and {row[2] for row in rows} == {MailStatus.SENT},
            60,
            f"{LEARNERS} confirmations sent",
        )
    job_workers.stop_all()  # nothing more can arrive

    rows = outbox(db)
    received = Counter(smtp_server.message_ids())
    assert received == Counter({message_id: 1 for message_id, *_ in rows})
    assert len(received) == LEARNERS
    assert sorted(message["To"] for message in smtp_server.messages) == sorted(emails)
    assert all(attempts == 1 for *_, attempts in rows)
    per_worker = [worker.count("sent by SMTP") for worker in workers]
    assert sum(per_worker) == LEARNERS
    print(
        f"\n[{db.engine.dialect.name}] {LEARNERS} registrations; confirmations sent per job worker: {per_worker}"
    )
