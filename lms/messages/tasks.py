"""The message jobs: woken after a request records a message to send now, and a sweep
every minute for scheduled messages whose time has come and for any a dead job left."""

from __future__ import annotations

from lms.jobs.queue import crontab, job, periodic
from lms.messages.sending import send_due


@job()
def send_messages() -> None:
    send_due()


@periodic(crontab(minute="*"))
def sweep_messages() -> None:
    # Safe twice at once: each message is claimed by a conditional UPDATE.
    send_due()
