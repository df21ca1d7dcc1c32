"""Periodic evaluation work: invitations as evaluations open, and the one reminder."""

from __future__ import annotations

from lms.db import utcnow
from lms.evaluations import invitations
from lms.extensions import db
from lms.jobs.queue import crontab, periodic


@periodic(crontab(minute="*/15"))
def invite_and_remind() -> None:
    # Safe twice at once: invitations are unique rows, reminders claimed by an UPDATE.
    now = utcnow()
    invitations.send_module_invitations(now)
    invitations.send_reminders(now)
    db.session.commit()
