"""Emails about registrations, in each learner's language, with calendar attachments.

The services call the functions at the top in the transaction of the change: they
record which runs the email is about (ids, and whether each place is a seat or on the
waiting list). A job worker later calls :func:`build_schedule_email` to write it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from lms.accounts.notify import recipient_of
from lms.catalogue.models import Course, Module, Run
from lms.catalogue.services import trainers_shown
from lms.enrollment import ical
from lms.enrollment.models import Registration, RunChoice
from lms.extensions import db
from lms.i18n import current_locale, session_times, tr_text, zone
from lms.mail.kinds import Attachment, Composition
from lms.mail.outbox import queue_email
from lms.urls import external_url

CALENDAR_TYPE = "text/calendar; charset=utf-8"


# -- recording, in the service's transaction ------------------------------------------


def _queue(user, course_id: int, kind: str, *, lines: Iterable[RunChoice] = (), calendars=()) -> None:
    """Record email ``kind``; ``calendars`` are (run ids, filename, method) triples.

    By the edition's id: the registration form reads its edition lean (no mapped Course
    in the session), and loading one here only for its id cost a query."""
    queue_email(
        user,
        kind,
        course_id=course_id,
        lines=[{"run_id": choice.run_id, "waiting": choice.is_waiting} for choice in lines],
        calendars=[
            {"run_ids": list(run_ids), "filename": filename, "method": method}
            for run_ids, filename, method in calendars
            if run_ids
        ],
    )


def registered(registration: Registration, changes) -> None:
    _queue(
        registration.user,
        registration.course_id,
        "registration_confirmed",
        lines=changes.confirmed + changes.waiting,
        calendars=[([choice.run_id for choice in changes.confirmed], "eip-schedule.ics", "PUBLISH")],
    )


def changed(registration: Registration, changes) -> None:
    user = registration.user
    new_runs = [choice.run_id for choice in changes.confirmed]
    left_runs = [
        choice.run_id
        for choice in changes.released
        if choice.user_id == user.id and choice.is_confirmed is False and choice.confirmed_at is not None
    ]
    _queue(
        user,
        registration.course_id,
        "registration_changed",
        lines=changes.confirmed + changes.waiting,
        calendars=[
            (new_runs, "new-session.ics", "PUBLISH"),
            (left_runs if new_runs else [], "cancelled-session.ics", "CANCEL"),
        ],
    )


def promoted(changes) -> None:
    for choice in changes.promoted:
        _queue(
            choice.user,
            choice.run.module.course_id,
            "waiting_list_promoted",
            lines=[choice],
            calendars=[([choice.run_id], "new-session.ics", "PUBLISH")],
        )


def cancelled(registration: Registration, changes) -> None:
    user = registration.user
    seats = [
        choice.run_id
        for choice in changes.released
        if choice.user_id == user.id and choice.confirmed_at is not None
    ]
    _queue(
        user,
        registration.course_id,
        "registration_cancelled",
        calendars=[(seats, "cancelled-sessions.ics", "CANCEL")],
    )


# -- building, in a job worker ----------------------------------------------------------


def runs_by_id(ids: Iterable[int]) -> dict[int, Run]:
    ids = set(ids)
    if not ids:
        return {}
    runs = db.session.scalars(
        select(Run)
        .where(Run.id.in_(ids))
        # the trainers too: the calendar files name them (one query, not one per run)
        .options(joinedload(Run.module).joinedload(Module.course), trainers_shown())
    ).unique()
    return {run.id: run for run in runs}


def _edition(course_id: int, runs: Iterable[ical.EventFacts]) -> tuple[dict, str, str]:
    """The edition's title, slug and zone: as its runs' facts name them (the runs of an
    email are all of its edition), read on their own only for an email without runs."""
    for run in runs:
        return dict(run.course_title), run.course_slug, run.course_timezone
    return db.session.connection().execute(_edition_statement(), {"course_id": course_id}).one()


@lru_cache(maxsize=1)
def _edition_statement():
    return select(Course.title, Course.slug, Course.timezone).where(Course.id == bindparam("course_id"))


def build_schedule_email(payload: dict) -> Composition:
    """Any of the registration emails: the learner's places and calendar files.

    Reads plain rows (the runs' event facts in one query, the edition's title, slug and
    zone in another): a registration evening builds one of these per learner."""
    user = recipient_of(payload)
    locale = current_locale()
    runs = ical.facts_of_runs(
        [line["run_id"] for line in payload["lines"]]
        + [run_id for calendar in payload["calendars"] for run_id in calendar["run_ids"]]
    )
    title_of, slug, timezone = _edition(payload["course_id"], runs.values())
    title = tr_text(title_of, locale)
    course_zone = zone(timezone)
    viewer = zone(user.timezone)
    lines = [_line(runs[line["run_id"]], line["waiting"], course_zone, viewer) for line in payload["lines"]]
    attachments = tuple(
        Attachment(
            calendar["filename"],
            CALENDAR_TYPE,
            ical.calendar_of(
                [runs[run_id] for run_id in calendar["run_ids"]],
                locale,
                name=title,
                include_join_link=True,
                method=calendar["method"],
            ),
        )
        for calendar in payload["calendars"]
    )
    return Composition(
        recipient=user,
        context={
            "course_title": title,
            "lines": sorted(lines, key=lambda line: line["position"]),
            "schedule_url": external_url("my.schedule"),
            "course_url": external_url("catalogue.course", slug=slug),
        },
        attachments=attachments,
    )


def _line(run: ical.EventFacts, waiting: bool, course_zone, viewer) -> dict:
    """What an email shows for one place, formatted for the recipient."""
    return {
        "position": run.module_position,
        "module": tr_text(dict(run.module_title)),
        "run": tr_text(dict(run.label)) or run.run_key,
        "times": session_times(run.starts_at, run.ends_at, course_zone, viewer),
        "waiting": waiting,
    }


MAIL_KINDS = {
    kind: build_schedule_email
    for kind in (
        "registration_confirmed",
        "registration_changed",
        "waiting_list_promoted",
        "registration_cancelled",
    )
}
