"""The mail jobs: delivery woken after each commit that queued email, and a sweep every
minute for retries that fell due and wake-ups that were lost."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.jobs.queue import crontab, enqueue, job, periodic
from lms.mail.delivery import deliver_due
from lms.mail.outbox import MAIL_QUEUED


@job()
def deliver_mail() -> None:
    deliver_due()


@periodic(crontab(minute="*"))
def sweep_mail() -> None:
    deliver_due()


def wake_workers_after_commit() -> None:
    """Connected by ``create_app``: every commit that queued email wakes a worker."""
    if not event.contains(Session, "after_commit", _wake_a_worker):
        event.listen(Session, "after_commit", _wake_a_worker)


def _wake_a_worker(session: Session) -> None:
    # After the commit, never before: a worker must find the rows, and a rolled-back
    # change must send nothing. A failure to enqueue is logged by enqueue() and never
    # turns the committed request into an error; the sweep sends the mail a minute later.
    if session.info.pop(MAIL_QUEUED, False):
        enqueue(deliver_mail)
