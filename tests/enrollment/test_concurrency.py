"""Seats never overbook under a burst, with the app served by real gunicorn workers.

Each learner is a separate HTTP client with its own connection and session; all of
them submit at the same moment (a barrier), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.catalogue.models import Run
from lms.enrollment import services
from lms.enrollment.models import ChoiceStatus, RunChoice
from lms.extensions import db as extensions_db
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory
from tests.gunicorn_server import Browser, burst, gunicorn_server, prepare

LEARNERS = 60
CAPACITY = 10


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """The same database served by gunicorn: 4 worker processes with 4 threads each."""
    with gunicorn_server(database_url, tmp_path) as base:
        yield base


@pytest.fixture
def burst_course(db):
    course = CourseFactory(slug="burst")
    module = ModuleFactory(course=course, key="m1", position=1)
    small = RunFactory(module=module, key="a", capacity=CAPACITY)
    large = RunFactory(module=module, key="b", capacity=200)
    learners = [UserFactory(email=f"learner{index:02d}@example.org") for index in range(LEARNERS)]
    db.session.commit()
    return course, module, small, large, learners


def release_database(db) -> None:
    """End the test's own transaction before the burst: on SQLite an open one would
    hold the write lock that the served workers queue for."""
    db.session.close()


def counts(run_id: int) -> tuple[int, int, int]:
    """(seat counter, confirmed choices, waiting choices) read fresh from the database."""
    extensions_db.session.expire_all()
    taken = extensions_db.session.get(Run, run_id).taken

    def count(status):
        return extensions_db.session.scalar(
            select(func.count(RunChoice.id)).where(RunChoice.run_id == run_id, RunChoice.status == status)
        )

    result = taken, count(ChoiceStatus.CONFIRMED), count(ChoiceStatus.WAITING)
    extensions_db.session.close()
    return result


def test_sixty_simultaneous_registrations_fill_ten_seats_exactly(gunicorn, burst_course, db):
    _, module, small, _, learners = burst_course
    module_id, small_id, emails = module.id, small.id, [learner.email for learner in learners]
    release_database(db)
    browsers = [Browser(gunicorn) for _ in emails]
    tokens = prepare(browsers, emails, "/courses/burst/register")
    # Half ask to wait if the run is full; the other half are told it is full.
    requests = [
        ("/courses/burst/register?lang=en", {
            "csrf_token": tokens[index], "confirm_profile": "y", "consent": "course",
            f"module-{module_id}": f"{'wait' if index % 2 else 'run'}-{small_id}",
        })
        for index in range(LEARNERS)
    ]  # fmt: skip
    results = burst(browsers, requests)

    assert all(result is not None for result in results)
    assert [status for status, _ in results if status >= 500] == []
    registered = {index for index, (_, text) in enumerate(results) if "You are registered." in text}
    told_full = {index for index, (_, text) in enumerate(results) if "has just filled up" in text}
    taken, confirmed, waiting = counts(small_id)
    print(f"\n[{db.engine.dialect.name}] {LEARNERS} simultaneous registrations, capacity {CAPACITY}: "
          f"confirmed={confirmed} waiting={waiting} told_full={len(told_full)} counter={taken}")  # fmt: skip
    assert confirmed == CAPACITY
    assert taken == confirmed
    # Everyone who accepted the waiting list got in one way or the other ...
    assert {index for index in range(LEARNERS) if index % 2} <= registered
    # ... the others have a seat or were told the run is full, and nobody else.
    assert registered | told_full == set(range(LEARNERS)) and not registered & told_full
    assert len(registered) == confirmed + waiting


def test_sixty_simultaneous_switches_into_a_nearly_full_run(gunicorn, burst_course, db):
    course, module, small, large, learners = burst_course
    occupants = [UserFactory(email=f"occupant{index}@example.org") for index in range(CAPACITY - 2)]
    for occupant in occupants:
        services.register(occupant, course, {module.id: services.Pick(small.id)}, accepted_privacy=True)
    registrations = [
        services.register(learner, course, {module.id: services.Pick(large.id)}, accepted_privacy=True)[0]
        for learner in learners
    ]
    db.session.commit()
    small_id, large_id = small.id, large.id
    emails = [learner.email for learner in learners]
    registration_ids = [registration.id for registration in registrations]
    release_database(db)
    browsers = [Browser(gunicorn) for _ in emails]
    tokens = prepare(browsers, emails, "/my/schedule")
    requests = [
        (
            f"/my/registrations/{registration_id}/switch?lang=en",
            {"csrf_token": tokens[index], "run_id": small_id},
        )
        for index, registration_id in enumerate(registration_ids)
    ]
    results = burst(browsers, requests)

    assert [status for status, _ in results if status >= 500] == []
    switched = sum("you have a seat in the new run" in text for _, text in results)
    queued = sum("you are on its waiting list" in text for _, text in results)
    small_counts, large_counts = counts(small_id), counts(large_id)
    print(f"\n[{db.engine.dialect.name}] {LEARNERS} simultaneous switches into a run with 2 free seats: "
          f"switched={switched} waiting={queued} small={small_counts} large={large_counts}")  # fmt: skip
    assert switched == 2
    assert queued == LEARNERS - 2
    assert small_counts == (CAPACITY, CAPACITY, LEARNERS - 2)
    # The ones still waiting kept their seat in the large run.
    assert large_counts[0] == large_counts[1] == LEARNERS - 2
