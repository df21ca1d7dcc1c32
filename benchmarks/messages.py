"""Time to record and send a message to every learner of a 10,000-learner edition.

    .venv/bin/python -m benchmarks.messages [--learners 10000] [--audience everyone] [--repeat 3]

Builds the edition with benchmarks.generate (or reuses it), then, for each audience asked
for, measures on the whole edition:

- "count": what the compose page's preview does (the audience rule and the recipients'
  accounts; the best of ``--repeat``), and "record": what the send button does (the
  checks, the count again, the message row, its audit record, one commit): both are in
  the request;
- "send": what the job does: claim the message, write the recipient rows and queue one
  email each in the outbox (bulk INSERTs), mark it sent, commit.

The emails themselves are then sent by the mail workers, at the mail server's pace (see
the README's burst with email). Afterwards the message, its recipients and its emails
are deleted again, so the benchmark database stays as generated.

Each figure is wall-clock seconds and, in brackets, the CPU seconds of this process (on
SQLite that includes the database's work; on PostgreSQL the server's is not counted). On
a shared machine the CPU figure is the steadier one; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from sqlalchemy import delete, select

from benchmarks.generate import benchmark_app, generate


def measure(app, slug: str, audience: str, repeat: int = 1) -> dict:
    from lms.accounts.models import Role, User, UserRole
    from lms.audit.models import AuditEvent
    from lms.catalogue.models import Course
    from lms.extensions import db
    from lms.mail.models import OutboxMessage
    from lms.messages import sending, services
    from lms.messages.audiences import Scope
    from lms.messages.models import Message, MessageRecipient
    from lms.messages.recipients import reach_of

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        author = db.session.scalar(
            select(User).join(UserRole).where(UserRole.role == Role.ORGANISER).limit(1)
        )
        author = author or db.session.scalar(select(User).limit(1))
        draft = services.Draft(
            subject={"vi": "Thông báo", "en": "News"},
            body={"vi": "Nội dung **thử**.", "en": "A **test**."},
            scope=Scope(course),
            audience=audience,
        )
        counted = counted_cpu = float("inf")
        for _ in range(repeat):
            started, cpu = time.perf_counter(), time.process_time()
            reach = reach_of(draft.scope, audience, services.is_about_seats(draft))
            counted = min(counted, time.perf_counter() - started)
            counted_cpu = min(counted_cpu, time.process_time() - cpu)
            db.session.rollback()

        started, cpu = time.perf_counter(), time.process_time()
        message = services.compose(course, draft, author)
        db.session.commit()
        recorded, recorded_cpu = time.perf_counter() - started, time.process_time() - cpu
        message_id = message.id

        started, cpu = time.perf_counter(), time.process_time()
        sent = sending.send_due()
        sending_seconds, sending_cpu = time.perf_counter() - started, time.process_time() - cpu
        recipients = db.session.scalar(select(Message.recipient_count).where(Message.id == message_id))

        # leave the database as generated
        db.session.execute(delete(MessageRecipient).where(MessageRecipient.message_id == message_id))
        db.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.kind == sending.MAIL_KIND, OutboxMessage.course_id == course.id
            )
        )
        db.session.execute(delete(AuditEvent).where(AuditEvent.object_id == message_id,
                                                    AuditEvent.object_type == "message"))  # fmt: skip
        db.session.execute(delete(Message).where(Message.id == message_id))
        db.session.commit()
    return {"audience": audience, "people": reach.count, "count": counted, "count cpu": counted_cpu,
            "record": recorded, "record cpu": recorded_cpu, "send": sending_seconds, "send cpu": sending_cpu,
            "recipients": recipients, "messages sent": sent}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--audience", action="append", help="default: everyone and incomplete")
    parser.add_argument("--repeat", type=int, default=3, help="counts per audience; the best is shown")
    args = parser.parse_args(argv)
    slug = f"bench-{args.learners}"
    app = benchmark_app()
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    generate(app, args.learners, slug)
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; seconds wall (CPU of this process)"
    )
    print(f"{'audience':<14} {'people':>7} {'count s':>13} {'record s':>13} {'send s':>13} {'emails/s':>9}")
    for audience in args.audience or ["everyone", "incomplete"]:
        row = measure(app, slug, audience, args.repeat)
        rate = row["recipients"] / row["send"] if row["send"] else 0
        times = " ".join(
            f"{row[part]:>6.2f} ({row[part + ' cpu']:.2f})" for part in ("count", "record", "send")
        )
        print(f"{row['audience']:<14} {row['people']:>7,} {times} {rate:>9,.0f}")
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
