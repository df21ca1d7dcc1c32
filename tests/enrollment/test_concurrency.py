"""Seats never overbook under a burst, with the app served by real gunicorn workers.

Each learner is a separate HTTP client with its own connection and session; all of
them submit at the same moment (a barrier), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.enrollment import services
from lms.enrollment.models import ChoiceStatus, RunChoice
from lms.extensions import db as extensions_db
from lms.modules.models import Run
from tests.factories import PASSWORD, CourseFactory, ModuleFactory, RunFactory, UserFactory
from tests.pg_server import free_port

ROOT = Path(__file__).resolve().parents[2]
LEARNERS = 60
CAPACITY = 10


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """The same database served by gunicorn: 4 worker processes with 4 threads each."""
    port = free_port()
    environment = {
        **os.environ,
        "LMS_DATABASE_URL": database_url,
        "LMS_SECRET_KEY": "concurrency-test-secret",
        "LMS_INSTANCE_PATH": str(tmp_path / "gunicorn-instance"),
        "LMS_RATELIMIT_ENABLED": "false",
    }
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "4", "--threads", "4", "--bind", f"127.0.0.1:{port}",
         "--graceful-timeout", "5", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, tmp_path / "gunicorn.log")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        errors = (tmp_path / "gunicorn.log").read_text(errors="replace")
        assert "Traceback" not in errors, errors[-3000:]


def wait_until_up(base: str, process, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310 (loopback http)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


class Browser:
    """One learner's HTTP client: its own cookie jar and connections."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def token(self, path: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path)).group(1)

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, email: str) -> None:
        status, text = self.post(
            "/account/login",
            {"csrf_token": self.token("/account/login"), "email": email, "password": PASSWORD},
        )
        assert status == 200 and ("My profile" in text or "Hồ sơ" in text), (status, email)


def burst(browsers: list[Browser], requests: list[tuple[str, dict]]) -> list[tuple[int, str]]:
    """Send one POST per browser, all released at the same instant."""
    barrier = threading.Barrier(len(browsers))
    results: list = [None] * len(browsers)

    def send(index: int) -> None:
        path, data = requests[index]
        barrier.wait()
        results[index] = browsers[index].post(path, data)

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def prepare(browsers: list[Browser], emails: list[str], page: str) -> list[str]:
    """Sign everyone in and fetch each one's form token, in parallel."""
    tokens: list = [None] * len(browsers)

    errors: list = []

    def run(index: int) -> None:
        try:
            browsers[index].sign_in(emails[index])
            tokens[index] = browsers[index].token(page)
        except Exception as error:  # reported below, with the others
            errors.append(f"{emails[index]}: {error!r}")

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert all(tokens), f"some learners could not sign in: {errors[:3]}"
    return tokens


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
            "csrf_token": tokens[index], "confirm_profile": "y", "accept_privacy": "y",
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
