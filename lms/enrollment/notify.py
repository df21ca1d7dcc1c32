"""Emails about registrations, in each learner's language, with calendar attachments.

Called by the services: the emails are queued in the same transaction as the change
they announce, so a rolled-back change never sends one.
"""

from __future__ import annotations

from flask_babel import force_locale

from lms.enrollment import ical
from lms.enrollment.models import Registration, RunChoice
from lms.i18n import session_times, tr_text, zone
from lms.mail.services import Attachment, queue_email
from lms.urls import external_url


def _schedule_lines(choices: list[RunChoice], user) -> list[dict]:
    """What an email shows for each choice, formatted for the recipient."""
    lines = []
    for choice in sorted(choices, key=lambda choice: choice.module.position):
        run = choice.run
        lines.append(
            {
                "position": choice.module.position,
                "module": tr_text(choice.module.title),
                "run": tr_text(run.label) or run.key,
                "times": session_times(
                    run.starts_at, run.ends_at, run.module.course.zone, zone(user.timezone)
                ),
                "waiting": choice.is_waiting,
            }
        )
    return lines


def _send(user, course, kind: str, *, calendars=(), lines=None, **context) -> None:
    """Queue email ``kind`` for ``user``; ``calendars`` are (runs, filename, method) triples."""
    with force_locale(user.locale):
        title = tr_text(course.title, user.locale)
        attachments = tuple(
            Attachment(
                filename,
                "text/calendar; charset=utf-8",
                ical.build_calendar(runs, user.locale, name=title, include_join_link=True, method=method),
            )
            for runs, filename, method in calendars
            if runs
        )
        queue_email(
            user,
            kind,
            kind,
            course_title=title,
            lines=_schedule_lines(lines or [], user),
            schedule_url=external_url("enrollment.schedule"),
            course_url=external_url("modules.course", slug=course.slug),
            attachments=attachments,
            **context,
        )


def registered(registration: Registration, changes) -> None:
    _send(
        registration.user,
        registration.course,
        "registration_confirmed",
        lines=changes.confirmed + changes.waiting,
        calendars=[([choice.run for choice in changes.confirmed], "eip-schedule.ics", "PUBLISH")],
    )


def changed(registration: Registration, changes) -> None:
    user = registration.user
    new_runs = [choice.run for choice in changes.confirmed]
    left_runs = [
        choice.run
        for choice in changes.released
        if choice.user_id == user.id and choice.is_confirmed is False and choice.confirmed_at is not None
    ]
    _send(
        user,
        registration.course,
        "registration_changed",
        lines=changes.confirmed + changes.waiting,
        calendars=[
            (new_runs, "new-session.ics", "PUBLISH"),
            (left_runs if new_runs else [], "cancelled-session.ics", "CANCEL"),
        ],
    )


def promoted(changes) -> None:
    for choice in changes.promoted:
        _send(
            choice.user,
            choice.run.module.course,
            "waiting_list_promoted",
            lines=[choice],
            calendars=[([choice.run], "new-session.ics", "PUBLISH")],
        )


def cancelled(registration: Registration, changes) -> None:
    user = registration.user
    seats = [
        choice.run
        for choice in changes.released
        if choice.user_id == user.id and choice.confirmed_at is not None
    ]
    _send(
        user,
        registration.course,
        "registration_cancelled",
        calendars=[(seats, "cancelled-sessions.ics", "CANCEL")],
    )
