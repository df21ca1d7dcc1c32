"""The privacy's scheduled work: forgetting the addresses of "deletion done" emails
once sent, and de-identifying learners at the end of the retention period. Both are
safe to run twice at once (each changes only what is still to change)."""

from __future__ import annotations

from lms.extensions import db
from lms.jobs import queue
from lms.jobs.queue import crontab
from lms.privacy import notify, retention


@queue.periodic(crontab(minute="*/5"))
def forget_sent_addresses() -> None:
    notify.forget_sent_addresses()
    db.session.commit()


@queue.periodic(crontab(minute="17", hour="2"))
def apply_retention() -> None:
    retention.apply_retention()
