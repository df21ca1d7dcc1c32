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
        course_zone = run.module.course.zone
        lines.append(
            {
                "position": choice.module.position,
                "module": tr_text(choice.module.title),
                "run": tr_text(run.label) or run.key,
                "times": session_times(run.starts_at, run.ends_at, course_zone, zone(user.timezone)),
                "waiting": choice.is_waiting,
            }
        )
    return lines


def _attachment(runs, user, *, name: str, filename: str, method: str = "PUBLISH") -> Attachment:
    data = ical.build_calendar(runs, user.locale, name=name, include_join_link=True, method=method)
    return Attachment(filename, "text/calendar; charset=utf-8", data)


def _schedule_url() -> str:
    return external_url("enrollment.schedule")


def registered(registration: Registration, changes) -> None:
    user, course = registration.user, registration.course
    with force_locale(user.locale):
        confirmed_runs = [choice.run for choice in changes.confirmed]
        queue_email(
            user,
            "registration_confirmed",
            "registration_confirmed",
            course_title=tr_text(course.title, user.locale),
            lines=_schedule_lines(changes.confirmed + changes.waiting, user),
            schedule_url=_schedule_url(),
            attachments=(
                _attachment(
                    confirmed_runs, user, name=tr_text(course.title, user.locale), filename="eip-schedule.ics"
                ),
            ),
        )


def changed(registration: Registration, changes) -> None:
    user, course = registration.user, registration.course
    attachments = []
    with force_locale(user.locale):
        if changes.confirmed:
            attachments.append(
                _attachment(
                    [c.run for c in changes.confirmed],
                    user,
                    name=tr_text(course.title, user.locale),
                    filename="new-session.ics",
                )
            )
        switched_away = [
            c.run
            for c in changes.released
            if c.user_id == user.id and c.run_id not in {n.run_id for n in changes.confirmed}
        ]
        if changes.confirmed and switched_away:
            attachments.append(
                _attachment(
                    switched_away,
                    user,
                    name=tr_text(course.title, user.locale),
                    filename="cancelled-session.ics",
                    method="CANCEL",
                )
            )
        queue_email(
            user,
            "registration_changed",
            "registration_changed",
            course_title=tr_text(course.title, user.locale),
            lines=_schedule_lines(changes.confirmed + changes.waiting, user),
            schedule_url=_schedule_url(),
            attachments=tuple(attachments),
        )


def promoted(changes) -> None:
    for choice in changes.promoted:
        user, course = choice.user, choice.run.module.course
        with force_locale(user.locale):
            queue_email(
                user,
                "waiting_list_promoted",
                "waiting_list_promoted",
                course_title=tr_text(course.title, user.locale),
                lines=_schedule_lines([choice], user),
                schedule_url=_schedule_url(),
                attachments=(
                    _attachment(
                        [choice.run],
                        user,
                        name=tr_text(course.title, user.locale),
                        filename="new-session.ics",
                    ),
                ),
            )


def cancelled(registration: Registration, changes) -> None:
    user, course = registration.user, registration.course
    mine = [choice for choice in changes.released if choice.user_id == user.id]
    seats = [choice.run for choice in mine if choice.confirmed_at is not None]
    with force_locale(user.locale):
        attachments = ()
        if seats:
            attachments = (
                _attachment(
                    seats,
                    user,
                    name=tr_text(course.title, user.locale),
                    filename="cancelled-sessions.ics",
                    method="CANCEL",
                ),
            )
        queue_email(
            user,
            "registration_cancelled",
            "registration_cancelled",
            course_title=tr_text(course.title, user.locale),
            course_url=external_url("modules.course", slug=course.slug),
            attachments=attachments,
        )
