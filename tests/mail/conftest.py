"""Mail tests: the app pointed at the suite's real SMTP server, and quick retries."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.job_workers import JobWorkers


@pytest.fixture
def smtp_app(app, smtp_server):
    """The app sending through ``smtp_server`` (no TLS, no login), retrying after 1 s."""
    app.config.update(
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=smtp_server.port,
        SMTP_STARTTLS=False,
        SMTP_TIMEOUT=2,
        MAIL_RETRY_DELAYS=[1, 1, 1],
    )
    return app


@pytest.fixture
def learner(db):
    user = UserFactory(email="lan@example.org", full_name="Nguyễn Thị Lan", locale="vi")
    db.session.commit()
    return user


@pytest.fixture
def job_workers(app, database_url, tmp_path):
    """Start real ``flask --app wsgi lms worker`` processes on the test's database and
    the test app's queue (``app.config["JOBS_URL"]``, a SQLite file in tmp_path unless
    the test switched it with ``use_queue``); see tests/job_workers.py. At the end every
    worker is stopped, and a traceback in a worker's log that the test did not
    ``allow()`` fails the test."""
    workers = JobWorkers(
        tmp_path / "workers",
        {
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": tmp_path / "worker-instance",
            "JOBS_URL": app.config["JOBS_URL"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "BASE_URL": app.config["BASE_URL"],
        },
    )
    yield workers
    workers.stop_all()
    problems = workers.problems()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def smtp_settings(smtp_server, timeout: int = 5) -> dict:
    """Worker settings that send through ``smtp_server`` (no TLS, no login)."""
    return {"SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port, "SMTP_STARTTLS": False,
            "SMTP_TIMEOUT": timeout}  # fmt: skip


@pytest.fixture
def use_queue(app, job_workers):
    """``use_queue(url)``: the test app and the workers started after it use the queue at
    ``url`` (e.g. Redis) instead of the SQLite file. The queue's connections are closed
    at the end, and the app's own queue is restored."""
    from lms.jobs import queue

    def switch(url: str) -> None:
        app.config["JOBS_URL"] = url
        queue.init_app(app)
        queue.huey.flush()  # a shared Redis may hold an earlier test's wake-ups
        job_workers.settings["JOBS_URL"] = url

    original = app.config["JOBS_URL"]
    yield switch
    storage = queue.huey.storage
    if hasattr(storage, "pool"):  # Redis: close its sockets now, not when collected
        storage.pool.disconnect()
    app.config["JOBS_URL"] = original
    queue.init_app(app)
