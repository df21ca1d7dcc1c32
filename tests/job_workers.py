"""Job workers as real processes, for the tests of the queue and the outbox.

    workers = JobWorkers(tmp_path / "workers", {"DATABASE_URL": url, "JOBS_URL": queue_url, ...})
    worker = workers.start(SMTP_HOST=..., MAIL_LEASE_SECONDS=3)   # flask --app wsgi lms worker
    worker.kill()                                                # SIGKILL, as a crash would
    workers.command("send-mail")                                 # flask --app wsgi lms send-mail
    workers.stop_all(); assert workers.problems() == []

Each process gets the settings as ``LMS_*`` environment variables (none of the caller's
``LMS_*`` leak in) and writes its log to a file of its own. ``problems()`` lists every
traceback in the logs whose log record is not one the test declared expected with
``allow()`` (a worker logs one each second while Redis is down, for instance), and every
worker that exited on its own. The ``job_workers`` fixture (tests/mail/conftest.py) fails
the test on any.

``wait_until`` polls for an outcome with a deadline: tests never sleep a fixed time.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
# The log format of lms.create_app: "2026-01-01 10:00:00,123 ERROR huey: message".
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")
STARTED = "Huey consumer started"

T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Call ``check`` until it returns something true; return it. Fail after ``timeout``
    seconds with ``what`` (a description of the awaited outcome)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {value!r})")
        time.sleep(interval)


def environment(settings: dict[str, object]) -> dict[str, str]:
    """This process's environment without its ``LMS_*`` variables, plus ``settings``
    as ``LMS_<NAME>`` (True/False as 1/0)."""
    result = {name: value for name, value in os.environ.items() if not name.startswith("LMS_")}
    result["PYTHONUNBUFFERED"] = "1"
    for name, value in settings.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = int(value)
        result[f"LMS_{name}"] = str(value)
    return result


def log_records(text: str) -> list[str]:
    """The log split into records: a record's first line and its continuation lines (a
    traceback). Output before the first record (a crash at start-up) is a record too."""
    records: list[str] = []
    for line in text.splitlines():
        if RECORD_START.match(line) or not records:
            records.append(line)
        else:
            records[-1] += "\n" + line
    return records


class JobWorker:
    """One ``flask --app wsgi lms worker`` process."""

    def __init__(self, name: str, settings: dict[str, object], log: Path, threads: int, periodic: bool):
        self.name, self.settings, self.log = name, settings, log
        self.command = [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "worker",
                        "--threads", str(threads), "--periodic" if periodic else "--no-periodic"]  # fmt: skip
        self.process: subprocess.Popen | None = None
        self.ended_by_test = False

    def start(self, wait: bool = True) -> JobWorker:
        """Start the process; with ``wait``, also wait until its consumer runs."""
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=environment(self.settings),
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        if wait:
            self.wait_started()
        return self

    def wait_started(self, timeout: float = 60) -> JobWorker:
        wait_until(self._started, timeout, f"worker {self.name} to start")
        return self

    def _started(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"worker {self.name} exited at start:\n{self.text()[-3000:]}")
        return STARTED in self.text()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def count(self, fragment: str) -> int:
        """How many lines of the log contain ``fragment``."""
        return sum(fragment in line for line in self.text().splitlines())

    def kill(self) -> None:
        """SIGKILL: the worker dies at once, mid-job, as in a crash or an OOM kill."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM (Huey stops at once), SIGKILL after 15 s."""
        self._end(signal.SIGTERM)

    def _end(self, how: signal.Signals) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.ended_by_test = True
            self.process.send_signal(how)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def problems(self, allowed: list[re.Pattern]) -> list[str]:
        found = []
        if self.process is not None and self.process.poll() is not None and not self.ended_by_test:
            found.append(f"worker {self.name} exited on its own with {self.process.returncode}")
        for record in log_records(self.text()):
            if "Traceback (most recent call last)" in record:
                first_line = record.split("\n", 1)[0]
                if not any(pattern.search(first_line) for pattern in allowed):
                    tail = record if len(record) < 4000 else f"{first_line}\n…\n{record[-3000:]}"
                    found.append(f"worker {self.name} logged a traceback ({self.log}):\n{tail}")
        return found


class JobWorkers:
    """The job worker processes of one test, with settings they share."""

    def __init__(self, folder: Path, settings: dict[str, object]) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.settings = dict(settings)
        self.workers: list[JobWorker] = []
        self.allowed: list[re.Pattern] = []

    def start(self, threads: int = 2, periodic: bool = True, wait: bool = True, **settings) -> JobWorker:
        """Start a worker with the shared settings plus ``settings`` (names without
        ``LMS_``) and wait until its consumer runs (``wait=False``: the caller starts
        other things meanwhile and calls ``wait_started()`` on it later)."""
        name = f"worker{len(self.workers) + 1}"
        worker = JobWorker(name, self.settings | settings, self.folder / f"{name}.log", threads, periodic)
        self.workers.append(worker)
        return worker.start(wait)

    def command(self, *args: str, timeout: float = 120, **settings) -> subprocess.CompletedProcess:
        """Run ``flask --app wsgi lms ARGS`` with the shared settings; its output as text."""
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "lms", *args],
            cwd=ROOT, env=environment(self.settings | settings), capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip

    def allow(self, *patterns: str) -> None:
        """Tracebacks logged with a first line matching one of ``patterns`` (regular
        expressions) are expected in this test."""
        self.allowed.extend(re.compile(pattern) for pattern in patterns)

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()

    def problems(self) -> list[str]:
        return [problem for worker in self.workers for problem in worker.problems(self.allowed)]
