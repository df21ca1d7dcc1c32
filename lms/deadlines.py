"""Closing times as people type them: the last minute (or second) they name still counts.

An organiser who types 23:59 as the moment registration closes, and reads "the
closing minute still counts", means every instant up to 23:59:59.999999; stored as
23:59:00, a learner who sent the form at 23:59:20 was refused. Every closing time
typed by a person (the registration window's end in the edition form, the copy form
and course.yaml, a quiz's closing time) goes through ``last_instant`` before it is
stored, and the checks stay simple comparisons (``now <= closes``). Opening times need
nothing: 08:00 opens at 08:00:00.000000, the first instant of its minute.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LAST_MICROSECOND = 999_999


def last_instant(typed: datetime) -> datetime:
    """The last instant a typed closing time covers: "23:59" (or "23:59:00") is
    23:59:59.999999, "23:59:30" is 23:59:30.999999. A time with microseconds is exact
    already (and this is idempotent: stored values shown and saved again stay put)."""
    if typed.microsecond:
        return typed
    if typed.second:
        return typed.replace(microsecond=LAST_MICROSECOND)
    return typed.replace(second=59, microsecond=LAST_MICROSECOND)


def shift_local(value: datetime | None, tz: ZoneInfo, days: int) -> datetime | None:
    """``value`` moved by whole days on the wall clock of ``tz``: same local time,
    whatever daylight-saving rules say about the UTC offset on the new day."""
    if value is None:
        return None
    local = value.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=tz).astimezone(UTC)


def wall_clock_to_utc(local: datetime, tz: ZoneInfo) -> datetime | None:
    """A time typed on the wall clock of ``tz`` as an aware UTC datetime, or None when
    that time does not exist there (the hour the clocks skip)."""
    aware = local.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        return None
    return aware.astimezone(UTC)
