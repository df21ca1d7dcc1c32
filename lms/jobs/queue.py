"""The job queue: one Huey instance whose storage comes from ``LMS_JOBS_URL``.

- ``sqlite:///path`` (the default, ``instance/jobs.sqlite3``): one machine needs nothing
  but the app; the web server and ``flask lms worker`` share the file.
- ``redis://host:port/db``: web servers and workers on many machines share Redis.

The queue only carries wake-ups. What must happen (an email, an export) is first a row
in our own database, written in the transaction of the change it belongs to; a job
claims such rows atomically and the periodic sweeps find any row whose wake-up was
lost (a Redis restart, a worker killed mid-job). So the queue may lose or repeat a
task without losing or repeating the work.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask
from huey import MemoryHuey, crontab
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.extensions import db

log = logging.getLogger(__name__)

# Created at import so that jobs can be declared with decorators; its storage is set by
# init_app from the configuration (the placeholder memory storage is never used).
huey = MemoryHuey("lms", results=False, utc=True)
_state: dict[str, Flask] = {}

__all__ = ["crontab", "enqueue", "enqueue_after_commit", "enqueue_at", "huey", "init_app", "job", "periodic"]

# The wake-ups the current transaction asked for, put on the queue once it commits.
AFTER_COMMIT = "lms.jobs.after_commit"


def init_app(app: Flask) -> None:
    huey.storage = storage_for(app.config["JOBS_URL"])
    _state["app"] = app
    app.extensions["lms.jobs"] = huey
    if not event.contains(Session, "after_commit", _enqueue_committed):
        event.listen(Session, "after_commit", _enqueue_committed)


@contextlib.contextmanager
def running_for(app: Flask):
    """Run the tasks executed inside in ``app`` (one process, one app in production;
    the test suite runs several apps in one process and says which one a run is for)."""
    previous = _state.get("app")
    _state["app"] = app
    try:
        yield
    finally:
        _state["app"] = previous


def enqueue_after_commit(task, *args) -> None:
    """Put ``task(*args)`` on the queue once the current transaction commits: never
    before (a worker must find the rows the transaction writes), each wake-up once
    however often it is asked for. A wake-up left from a rolled-back transaction goes
    with the session's next commit and finds nothing to do."""
    pending = db.session.info.setdefault(AFTER_COMMIT, [])
    if (task, args) not in pending:
        pending.append((task, args))


def _enqueue_committed(session: Session) -> None:
    # enqueue() logs a queue that cannot be reached and never raises: nothing after a
    # commit may turn the committed request into an error page.
    for task, args in session.info.pop(AFTER_COMMIT, []):
        enqueue(task, *args)


def storage_for(url: str):
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        # sqlite:////abs/path or sqlite:///relative: the path after the third slash
        return SqliteStorage(name="lms", filename=url.split("sqlite:///", 1)[1], timeout=30)
    if scheme in ("redis", "rediss", "unix"):
        return RedisStorage(name="lms", url=url)
    raise ValueError(f"LMS_JOBS_URL: unsupported queue storage {url!r} (sqlite:/// or redis://)")


def _in_app_context(func: Callable) -> Callable:
    """Run the job inside the app, with a session of its own that is closed after."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        app = _state["app"]
        with app.app_context():
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    return run


def job(**options) -> Callable:
    """Declare a job (a Huey task run in the app's context). Call ``.enqueue(...)``
    through :func:`enqueue`, never the task itself, so a failing queue never fails
    the caller."""

    def declare(func: Callable):
        return huey.task(**options)(_in_app_context(func))

    return declare


def periodic(schedule, **options) -> Callable:
    """Declare a job that the scheduler of a worker started with periodic jobs runs on
    ``schedule`` (a :func:`huey.crontab`). Every periodic job must be safe to run twice
    at the same time (two schedulers, a manual trigger beside the schedule)."""

    def declare(func: Callable):
        return huey.periodic_task(schedule, **options)(_in_app_context(func))

    return declare


def enqueue(task, *args, **kwargs) -> bool:
    """Put ``task(*args, **kwargs)`` on the queue; False (and a log line) if the queue
    cannot be reached. The work itself is recorded in the database, so a lost wake-up
    only delays it until the next periodic sweep."""
    return _put(task, lambda: task(*args, **kwargs))


def enqueue_at(eta: datetime, task, *args, **kwargs) -> bool:
    """Like :func:`enqueue`, for ``task`` to run at ``eta`` (an aware datetime): the
    queue's scheduler holds it until then."""
    return _put(task, lambda: task.schedule(args=args, kwargs=kwargs, eta=eta))


def _put(task, put: Callable[[], object]) -> bool:
    try:
        put()
    except Exception:  # any storage error: Redis down, SQLite file locked too long
        log.exception("could not enqueue %s; the periodic sweep will pick the work up", task.name)
        return False
    return True
