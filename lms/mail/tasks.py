"""The mail jobs: delivery woken after each commit that queued email, again when the
first retry it put back falls due, and a sweep every minute for wake-ups that were lost
(Redis restarted, a worker killed mid-batch)."""

from __future__ import annotations

from lms.jobs.queue import crontab, enqueue_at, job, periodic
from lms.mail.delivery import deliver_due


@job()
def deliver_mail() -> None:
    deliver_and_wake_for_retries()


@periodic(crontab(minute="*"))
def sweep_mail() -> None:
    deliver_and_wake_for_retries()


def deliver_and_wake_for_retries() -> None:
    """Send what is due; if some of it must be tried again, wake a worker when the first
    retry falls due, so that retries keep to ``MAIL_RETRY_DELAYS`` instead of waiting
    for the next sweep (up to a minute more: a 1 s delay became a minute)."""
    report = deliver_due()
    if report.next_retry_at is not None:
        enqueue_at(report.next_retry_at, deliver_mail)
