"""Reading calendars back in the calendar and reminder tests (learners are placed in
runs with ``tests.factories.hold``)."""

from __future__ import annotations

from icalendar import Calendar


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def events_by_uid(data: bytes) -> dict:
    return {str(event["UID"]): event for event in parse(data).walk("VEVENT")}


def uid(run) -> str:
    return f"run-{run.id}@localhost"
