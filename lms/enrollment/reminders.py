"""Reminder emails, sent within the 24 hours before a learner's session.

A periodic job (``lms.enrollment.tasks``) looks every five minutes;
``flask --app wsgi lms send-reminders`` does the same by hand. Each seat is claimed
with a conditional UPDATE before its email is queued, so two runs at the same time
never remind anyone twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.accounts.notify import recipient_of
from lms.catalogue.models import Module, Run, RunStatus
from lms.enrollment import ical
from lms.enrollment.models import RunChoice, where_holding_seat
from lms.enrollment.notify import CALENDAR_TYPE, runs_by_id
from lms.enrollment.services import JOIN_LINK_OPENS_BEFORE
from lms.extensions import db
from lms.i18n import current_locale, session_times, tr_text, zone
from lms.mail.kinds import Attachment, Composition, RecipientGone
from lms.mail.outbox import queue_email
from lms.urls import external_url

REMIND_AHEAD = timedelta(hours=24)


def due_choices(now: datetime) -> list[RunChoice]:
    """Seats in runs that start within the next 24 hours and have no reminder yet."""
    seats = where_holding_seat(
        select(RunChoice).join(Run, Run.id == RunChoice.run_id).join(User, User.id == RunChoice.user_id)
    )
    return list(
        db.session.scalars(
            seats.where(
                RunChoice.reminder_sent_at.is_(None),
                Run.status == RunStatus.SCHEDULED,
                Run.starts_at > now,
                Run.starts_at <= now + REMIND_AHEAD,
                User.is_active_account.is_(True),
            )
            .options(
                joinedload(RunChoice.user),
                joinedload(RunChoice.run).options(
                    joinedload(Run.module).joinedload(Module.course), selectinload(Run.trainers)
                ),
            )
            .order_by(Run.starts_at, RunChoice.id)
        )
    )


def claim(choice: RunChoice, now: datetime) -> bool:
    """Mark the reminder sent, unless another process did first."""
    result = db.session.execute(
        update(RunChoice)
        .where(RunChoice.id == choice.id, RunChoice.reminder_sent_at.is_(None))
        .values(reminder_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def send_reminders(now: datetime) -> int:
    """Queue a reminder for every seat due one; return how many (flushes, never commits)."""
    sent = 0
    for choice in due_choices(now):
        if not claim(choice, now):
            continue
        queue_reminder(choice)
        sent += 1
    return sent


def queue_reminder(choice: RunChoice) -> None:
    queue_email(choice.user, "reminder", course_id=choice.run.module.course_id, run_id=choice.run_id)


def build_reminder(payload: dict) -> Composition:
    user = recipient_of(payload)
    locale = current_locale()
    run = runs_by_id([payload["run_id"]]).get(payload["run_id"])
    if run is None:
        raise RecipientGone(f"run {payload['run_id']} no longer exists")
    module = run.module
    course = module.course
    module_title = tr_text(module.title, locale)
    data = ical.build_calendar([run], locale, name=module_title, include_join_link=True)
    return Composition(
        recipient=user,
        context={
            "course_title": tr_text(course.title, locale),
            "module_number": module.position,
            "module_title": module_title,
            "run_label": tr_text(run.label, locale) or run.key,
            "times": session_times(run.starts_at, run.ends_at, course.zone, zone(user.timezone)),
            "trainers": ", ".join(trainer.full_name for trainer in run.trainers),
            "lead_minutes": int(JOIN_LINK_OPENS_BEFORE.total_seconds()) // 60,
            "schedule_url": external_url("my.schedule"),
            "module_url": external_url("catalogue.module", slug=course.slug, key=module.key),
        },
        attachments=(Attachment(f"{course.slug}-{module.key}.ics", CALENDAR_TYPE, data),),
    )


MAIL_KINDS = {"reminder": build_reminder}
