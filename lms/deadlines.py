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

from datetime import datetime

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
