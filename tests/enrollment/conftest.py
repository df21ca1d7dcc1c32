"""Shared set-up for registration tests: an open course of two modules, two runs each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.catalogue.models import Run
from lms.enrollment.models import ChoiceStatus, RunChoice
from lms.enrollment.services import Pick
from lms.extensions import db
from tests.factories import CourseFactory, ModuleFactory, RunFactory


@pytest.fixture
def course(db):
    """Registration open now; module 1 runs in 20 and 22 days, module 2 in 34 and 36."""
    now = datetime.now(UTC).replace(microsecond=0)
    course = CourseFactory(
        slug="eip-test",
        registration_opens_at=now - timedelta(days=5),
        registration_closes_at=now + timedelta(days=10),
    )
    for position in (1, 2):
        module = ModuleFactory(course=course, position=position, key=f"m{position}")
        for index, key in enumerate("ab"):
            starts = now + timedelta(days=6 + 14 * position + 2 * index)
            RunFactory(module=module, key=key, starts_at=starts, capacity=3,
                       label={"vi": f"Lớp {key.upper()}", "en": f"Run {key.upper()}"})  # fmt: skip
    db.session.commit()
    return course


def runs_of(course) -> dict[str, Run]:
    """{"m1a": run, "m1b": run, "m2a": ..., "m2b": ...}"""
    return {f"{module.key}{run.key}": run for module in course.modules for run in module.runs}


def picks(course, *keys: str, wait: tuple[str, ...] = ()) -> dict[int, Pick]:
    runs = runs_of(course)
    return {runs[key].module_id: Pick(runs[key].id, wait_if_full=key in wait) for key in keys}


def assert_seat_counters_match(course) -> None:
    """The invariant: each run's counter equals its confirmed choices, within capacity."""
    db.session.expire_all()
    for run in runs_of(course).values():
        confirmed = db.session.scalar(
            select(func.count(RunChoice.id)).where(
                RunChoice.run_id == run.id, RunChoice.status == ChoiceStatus.CONFIRMED
            )
        )
        assert run.taken == confirmed, run
        assert run.taken <= run.capacity, run
