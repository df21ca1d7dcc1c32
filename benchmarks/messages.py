"""Time to record and send a message to every learner of a 10,000-learner edition.

    .venv/bin/python -m benchmarks.messages [--learners 10000] [--audience everyone]

Builds the edition with benchmarks.generate (or reuses it), then, for each audience asked
for, measures on the whole edition:

- "count": what the compose page's preview does (the audience rule and the recipients'
  accounts), and "record": what the send button does (the checks, the count again, the
  message row, its audit record, one commit): both are in the request;
- "send": what the job does: claim the message, write the recipient rows and queue one
  email each in the outbox (bulk INSERTs), mark it sent, commit.

The emails themselves are then sent by the mail workers, at the mail server's pace (see
the README's burst with email). Afterwards the message, its recipients and its emails
are deleted again, so the benchmark database stays as generated.
"""

from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy import delete, select

from benchmarks.generate import benchmark_app, generate


def measure(app, slug: str, audience: str) -> dict:
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
        started = time.perf_counter()
        reach = reach_of(draft.scope, audience, services.is_about_seats(draft))
        counted = time.perf_counter() - started
        db.session.rollback()

        started = time.perf_counter()
        message = services.compose(course, draft, author)
        db.session.commit()
        recorded = time.perf_counter() - started
        message_id = message.id

        started = time.perf_counter()
        sent = sending.send_due()
        sending_seconds = time.perf_counter() - started
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
    return {"audience": audience, "people": reach.count, "count": counted, "record": recorded,
            "send": sending_seconds, "recipients": recipients, "messages sent": sent}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--audience", action="append", help="default: everyone and incomplete")
    args = parser.parse_args(argv)
    slug = f"bench-{args.learners}"
    app = benchmark_app()
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    generate(app, args.learners, slug)
    print(f"{'audience':<12} {'people':>7} {'count s':>8} {'record s':>9} {'send s':>7} {'emails/s':>9}")
    for audience in args.audience or ["everyone", "incomplete"]:
        row = measure(app, slug, audience)
        rate = row["recipients"] / row["send"] if row["send"] else 0
        print(f"{row['audience']:<12} {row['people']:>7,} {row['count']:>8.2f} {row['record']:>9.2f} "
              f"{row['send']:>7.2f} {rate:>9,.0f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
