"""Periodic enrollment work: reminders within the 24 hours before each session."""

from __future__ import annotations

from lms.db import utcnow
from lms.enrollment.reminders import send_reminders
from lms.extensions import db
from lms.jobs.queue import crontab, periodic


@periodic(crontab(minute="*/5"))
def remind_learners() -> None:
    # Safe twice at once: every seat's reminder is claimed by a conditional UPDATE.
    send_reminders(utcnow())
    db.session.commit()
