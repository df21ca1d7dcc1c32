"""A known edition for the audience rules: two modules of two runs each, and learners
whose seats, waiting places, marks and certificates are written down below, so every
filter's answer is known exactly."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lms.catalogue.models import Course
from lms.enrollment.models import ChoiceStatus, RegistrationStatus
from tests.factories import (
    AttendanceFactory,
    CertificateFactory,
    UserFactory,
    course_with_modules,
    hold,
    registration_for,
)
from tests.mail.conftest import job_workers  # noqa: F401  (real worker processes, test_workers.py)


@dataclass
class Edition:
    course: Course
    people: dict  # name -> User
    organiser: object
    trainer: object  # teaches run m1/a only

    def ids(self, *names: str) -> set[int]:
        return {self.people[name].id for name in names}

    def run(self, module: int, key: str):
        return next(run for run in self.course.modules[module - 1].runs if run.key == key)


@pytest.fixture
def edition(db) -> Edition:
    """
    ann   seats m1/a and m2/a, present in both (complete), a valid certificate, English
    bao   seat m1/a (absent), waiting for m2/a
    chi   seats m1/b (late) and m2/b, no mark in m2 (not complete)
    dung  waiting for m1/a only
    khoa  registered, no place yet
    em    cancelled registration (had a seat in m1/a, marked present): never selected
    """
    course = course_with_modules(2, 2, slug="known")
    m1a, m1b = course.modules[0].runs
    m2a, m2b = course.modules[1].runs
    people = {
        name: UserFactory(full_name=name.title()) for name in ("ann", "bao", "chi", "dung", "khoa", "em")
    }
    people["ann"].locale = "en"
    hold(people["ann"], m1a)
    hold(people["ann"], m2a)
    hold(people["bao"], m1a)
    hold(people["bao"], m2a, status=ChoiceStatus.WAITING)
    hold(people["chi"], m1b)
    hold(people["chi"], m2b)
    hold(people["dung"], m1a, status=ChoiceStatus.WAITING)
    registration_for(people["khoa"], course)
    hold(people["em"], m1a, status=ChoiceStatus.CANCELLED, registration_status=RegistrationStatus.CANCELLED)
    for user, run, status in (
        (people["ann"], m1a, "present"),
        (people["ann"], m2a, "present"),
        (people["bao"], m1a, "absent"),
        (people["chi"], m1b, "late"),
        (people["em"], m1a, "present"),
    ):
        AttendanceFactory(run_id=run.id, user_id=user.id, status=status)
    CertificateFactory(user=people["ann"], course_id=course.id)
    organiser = UserFactory(
        email="organiser@example.org", full_name="Organiser", roles=["organiser"], locale="en"
    )
    trainer = UserFactory(email="trainer@example.org", full_name="Trainer", roles=["trainer"], locale="en")
    m1a.trainers.append(trainer)
    db.session.commit()
    return Edition(course, people, organiser, trainer)
