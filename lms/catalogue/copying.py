"""The catalogue's part of copying an edition: its modules and runs, every run moved by
whole days on the course's wall clock (weekday and local time kept across
daylight-saving changes), no seats taken."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from lms.catalogue.models import Course, Module, Run, RunStatus
from lms.deadlines import shift_local
from lms.extensions import db


def copy_for_edition(course: Course, copy: Course, days: int) -> dict[int, Module]:
    """Copy every module of ``course`` into ``copy``; {old module id: its copy}, flushed."""
    copies = {}
    for module in course.modules:
        copies[module.id] = _copy_module(module, course.zone, days)
        copy.modules.append(copies[module.id])
    db.session.flush()
    return copies


def _copy_module(module: Module, tz: ZoneInfo, days: int) -> Module:
    new_module = Module(
        key=module.key,
        position=module.position,
        title=dict(module.title),
        outline=dict(module.outline),
        objectives={locale: list(items) for locale, items in module.objectives.items()},
        duration_minutes=module.duration_minutes,
    )
    for run in module.runs:
        new_run = Run(
            key=run.key,
            label=dict(run.label),
            starts_at=shift_local(run.starts_at, tz, days),
            ends_at=shift_local(run.ends_at, tz, days),
            capacity=run.capacity,
            taken=0,
            sequence=0,
            join_url=run.join_url,
            status=RunStatus.SCHEDULED,
        )
        if new_run.ends_at <= new_run.starts_at:  # a run across a clock change, moved onto one
            new_run.ends_at = new_run.starts_at + (run.ends_at - run.starts_at)
        new_run.trainers = list(run.trainers)
        new_module.runs.append(new_run)
    return new_module
