"""Emails about a run that moved or was cancelled, in each learner's language, with the
calendar file that updates (REQUEST) or removes (CANCEL) the event they already have.

The services record them in the transaction of the change (the old and new times, the
learner's place); a job worker builds them. Times are shown in the course's zone and,
when it differs, in the learner's own.
"""

from __future__ import annotations

from datetime import datetime

from lms.accounts.notify import recipient_of
from lms.catalogue.models import Run
from lms.enrollment import ical
from lms.enrollment.models import RunChoice
from lms.enrollment.services import change_deadline
from lms.extensions import db
from lms.i18n import current_locale, format_short_datetime, session_times, tr_text, zone
from lms.mail.kinds import Attachment, Composition, RecipientGone
from lms.mail.outbox import queue_email
from lms.urls import external_url

CALENDAR_TYPE = "text/calendar; charset=utf-8"


# -- recording, in the service's transaction ------------------------------------------


def rescheduled(choice: RunChoice, old_starts: datetime, old_ends: datetime) -> None:
    """The run of ``choice`` has a new time: the old and the new one, and a calendar
    update with the raised SEQUENCE (the join link only for a seat)."""
    run = choice.run
    queue_email(
        choice.user,
        "run_rescheduled",
        course_id=run.module.course_id,
        run_id=run.id,
        before=[old_starts.isoformat(), old_ends.isoformat()],
        after=[run.starts_at.isoformat(), run.ends_at.isoformat()],
        waiting=choice.is_waiting,
        seat=bool(choice.is_confirmed),
    )


def cancelled(choice: RunChoice, held_seat: bool, seat_elsewhere: RunChoice | None, now: datetime) -> None:
    """The run of ``choice`` is cancelled: why, what happened to the learner's place,
    and the module's other runs they can still choose on My schedule (as of ``now``)."""
    run = choice.run
    queue_email(
        choice.user,
        "run_cancelled",
        course_id=run.module.course_id,
        run_id=run.id,
        held_seat=held_seat,
        kept_run_id=seat_elsewhere.run_id if seat_elsewhere is not None else None,
        now=now.isoformat(),
    )


# -- building, in a job worker ----------------------------------------------------------


def _run(payload: dict) -> Run:
    run = db.session.get(Run, payload["run_id"])
    if run is None:
        raise RecipientGone(f"run {payload['run_id']} no longer exists")
    return run


def _about(run: Run, locale: str) -> dict:
    module = run.module
    return {
        "course_title": tr_text(module.course.title, locale),
        "module_number": module.position,
        "module_title": tr_text(module.title, locale),
        "run_label": tr_text(run.label, locale) or run.key,
        "schedule_url": external_url("my.schedule"),
    }


def _times(pair: list[str], course_zone, viewer) -> dict:
    starts, ends = (datetime.fromisoformat(value) for value in pair)
    return session_times(starts, ends, course_zone, viewer)


def build_rescheduled(payload: dict) -> Composition:
    user, run, locale = recipient_of(payload), _run(payload), current_locale()
    course = run.module.course
    viewer = zone(user.timezone)
    about = _about(run, locale)
    calendar = ical.build_calendar(
        [run], locale, name=about["course_title"], include_join_link=payload["seat"], method="REQUEST"
    )
    return Composition(
        recipient=user,
        context={
            "before": _times(payload["before"], course.zone, viewer),
            "after": _times(payload["after"], course.zone, viewer),
            "waiting": payload["waiting"],
            "deadline": format_short_datetime(change_deadline(course, run), course.zone),
            **about,
        },
        attachments=(Attachment("updated-session.ics", CALENDAR_TYPE, calendar),),
    )


def build_cancelled(payload: dict) -> Composition:
    user, run, locale = recipient_of(payload), _run(payload), current_locale()
    course = run.module.course
    viewer = zone(user.timezone)
    now = datetime.fromisoformat(payload["now"])
    about = _about(run, locale)
    calendar = ical.build_calendar(
        [run], locale, name=about["course_title"], include_join_link=False, method="CANCEL"
    )
    kept = db.session.get(Run, payload["kept_run_id"]) if payload["kept_run_id"] else None
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
    return Composition(
        recipient=user,
        context={
            "times": session_times(run.starts_at, run.ends_at, course.zone, viewer),
            "reason": tr_text(run.cancellation_reason, locale),
            "held_seat": payload["held_seat"],
            "kept": (
                {
                    "run": tr_text(kept.label, locale) or kept.key,
                    "times": session_times(kept.starts_at, kept.ends_at, course.zone, viewer),
                }
                if kept is not None
                else None
            ),
            "others": others,
            **about,
        },
        attachments=(Attachment("cancelled-session.ics", CALENDAR_TYPE, calendar),),
    )


MAIL_KINDS = {"run_rescheduled": build_rescheduled, "run_cancelled": build_cancelled}
