"""An edition with certificates to put in a ZIP, its organiser, and a kind of job made
for the tests (steps that report progress, can fail or take a while)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from lms.catalogue.models import Course
from lms.certificates.models import Certificate
from lms.certificates.services import new_code
from lms.extensions import db as database
from lms.jobs.models import BackgroundJob
from lms.jobs.tracking import EDITION_GONE, JobKind, JobRefused, Produced, register_job_kinds
from tests.factories import UserFactory, course_with_modules

LEARNERS = ["Trần Văn An", "Nguyễn Thị Hồng Hạnh", "Đặng Quốc Bảo"]


@dataclass
class Edition:
    course: Course
    organiser: object
    certificates: list[Certificate]


@pytest.fixture
def edition(db) -> Edition:
    course = course_with_modules(1, 1, slug="eip-jobs")
    organiser = UserFactory(email="chau@example.org", full_name="Đỗ Minh Châu", roles=["organiser"])
    certificates = []
    for name in LEARNERS:
        learner = UserFactory(full_name=name)
        certificate = Certificate(code=new_code(), user_id=learner.id, course_id=course.id, learner_name=name)
        db.session.add(certificate)
        certificates.append(certificate)
    db.session.commit()
    return Edition(course, organiser, certificates)


@pytest.fixture
def organiser_client(client, edition):
    client.sign_in(edition.organiser.email)
    return client


# -- a kind of job for the tests --------------------------------------------------------

STEPS = "test_steps"


class Steps:
    """What the test kind did: each run's job id, and the progress another connection
    saw after each step (done, total, lease end)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs: list[int] = []
        self.seen: list[tuple] = []

    def reset(self) -> None:
        self.runs.clear()
        self.seen.clear()


STEPS_DONE = Steps()


def run_steps(job, progress) -> Produced:
    """``params``: steps (how many), sleep (seconds per step), fail ("unexpected" or
    "refused", at the first step)."""
    with STEPS_DONE.lock:
        STEPS_DONE.runs.append(job.id)
    steps = job.params.get("steps", 3)
    progress(0, steps)
    for step in range(1, steps + 1):
        if job.params.get("fail") == "unexpected":
            raise RuntimeError("the disk is full")
        if job.params.get("fail") == "refused":
            raise JobRefused(EDITION_GONE)
        time.sleep(job.params.get("sleep", 0))
        job.output.write(f"step {step}\n".encode())
        progress(step, steps)
        STEPS_DONE.seen.append(progress_seen_elsewhere(job.id))
    return Produced("steps.txt", "text/plain", {"steps": steps})


def progress_seen_elsewhere(job_id: int) -> tuple:
    with database.engine.connect() as connection:
        return connection.execute(
            select(
                BackgroundJob.progress_done, BackgroundJob.progress_total, BackgroundJob.claimed_until
            ).where(BackgroundJob.id == job_id)
        ).one()


register_job_kinds({STEPS: JobKind(STEPS, run_steps, lambda params: "Steps")})


@pytest.fixture
def steps():
    STEPS_DONE.reset()
    yield STEPS_DONE
    STEPS_DONE.reset()
