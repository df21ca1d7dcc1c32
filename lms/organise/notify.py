"""Emails about a run that moved or was cancelled, in each learner's language, with the
calendar file that updates (REQUEST) or removes (CANCEL) the event they already have.

Queued by the services in the same transaction as the change, so a rolled-back change
never sends one. Times are shown in the course's zone and, when it differs, in the
learner's own.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale

from lms.enrollment import ical
from lms.enrollment.models import RunChoice
from lms.enrollment.services import change_deadline
from lms.i18n import format_short_datetime, session_times, tr_text, zone
from lms.mail.services import Attachment, queue_email
from lms.modules.models import Run
from lms.urls import external_url

CALENDAR_TYPE = "text/calendar; charset=utf-8"


def _about(run: Run, locale: str) -> dict:
    module = run.module
    course = module.course
    return {
        "course_title": tr_text(course.title, locale),
        "module_number": module.position,
        "module_title": tr_text(module.title, locale),
        "run_label": tr_text(run.label, locale) or run.key,
        "schedule_url": external_url("enrollment.schedule"),
    }


def rescheduled(choice: RunChoice, old_starts: datetime, old_ends: datetime) -> None:
    """The run of ``choice`` has a new time: the old and the new one, and a calendar
    update with the raised SEQUENCE (the join link only for a seat)."""
    user, run = choice.user, choice.run
    course = run.module.course
    locale = user.locale
    with force_locale(locale):
        about = _about(run, locale)
        calendar = ical.build_calendar(
            [run], locale, name=about["course_title"], include_join_link=choice.is_confirmed, method="REQUEST"
        )
        queue_email(
            user,
            "run_rescheduled",
            "run_rescheduled",
            attachments=(Attachment("updated-session.ics", CALENDAR_TYPE, calendar),),
            before=session_times(old_starts, old_ends, course.zone, zone(user.timezone)),
            after=session_times(run.starts_at, run.ends_at, course.zone, zone(user.timezone)),
            waiting=choice.is_waiting,
            deadline=format_short_datetime(change_deadline(course, run), course.zone),
            **about,
        )


def cancelled(choice: RunChoice, held_seat: bool, seat_elsewhere: RunChoice | None, now: datetime) -> None:
    """The run of ``choice`` is cancelled: why, what happened to the learner's place,
    and the module's other runs they can still choose on My schedule."""
    user, run = choice.user, choice.run
    course = run.module.course
    locale = user.locale
    viewer = zone(user.timezone)
    with force_locale(locale):
        about = _about(run, locale)
        calendar = ical.build_calendar(
            [run], locale, name=about["course_title"], include_join_link=False, method="CANCEL"
        )
        kept = seat_elsewhere.run if seat_elsewhere is not None else None
        others = [
            {
                "run": tr_text(other.label, locale) or other.key,
                "times": session_times(other.starts_at, other.ends_at, course.zone, viewer),
                "full": other.seats_left == 0,
            }
            for other in run.module.runs
            if other.id != run.id
            and not other.is_cancelled
            and (kept is None or other.id != kept.id)
            and now <= change_deadline(course, other)
        ]
        queue_email(
            user,
            "run_cancelled",
            "run_cancelled",
            attachments=(Attachment("cancelled-session.ics", CALENDAR_TYPE, calendar),),
            times=session_times(run.starts_at, run.ends_at, course.zone, viewer),
            reason=tr_text(run.cancellation_reason, locale),
            held_seat=held_seat,
            kept=(
                {
                    "run": tr_text(kept.label, locale) or kept.key,
                    "times": session_times(kept.starts_at, kept.ends_at, course.zone, viewer),
                }
                if kept is not None
                else None
            ),
            others=others,
            **about,
        )
