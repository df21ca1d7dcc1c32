"""Registrations and run choices made directly, for the calendar and reminder tests.

``Run.taken`` is kept equal to the number of confirmed choices, as the services keep it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar
from sqlalchemy import select

from lms.enrollment.models import ChoiceStatus, Registration, RegistrationStatus, RunChoice
from lms.extensions import db


def registration_for(user, course, status: str = RegistrationStatus.ACTIVE) -> Registration:
    registration = db.session.scalar(
        select(Registration).where(Registration.user_id == user.id, Registration.course_id == course.id)
    )
    if registration is None:
        registration = Registration(
            user=user, course=course, status=status, privacy_accepted_at=datetime.now(UTC)
        )
        db.session.add(registration)
    return registration


def hold(
    user, run, status: str = ChoiceStatus.CONFIRMED, registration_status: str = RegistrationStatus.ACTIVE
):
    """The user's choice of ``run`` (a seat by default)."""
    registration = registration_for(user, run.module.course, registration_status)
    confirmed = status == ChoiceStatus.CONFIRMED
    choice = RunChoice(
        registration=registration,
        user=user,
        module=run.module,
        run=run,
        status=status,
        confirmed_at=datetime.now(UTC) if confirmed else None,
    )
    if confirmed:
        run.taken += 1
    db.session.add(choice)
    db.session.flush()
    return choice


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def events_by_uid(data: bytes) -> dict:
    return {str(event["UID"]): event for event in parse(data).walk("VEVENT")}


def uid(run) -> str:
    return f"run-{run.id}@localhost"
