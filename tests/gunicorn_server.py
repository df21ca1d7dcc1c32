"""The app served by real gunicorn workers on the test database, and learners browsing it
from many threads at once (each its own HTTP client, cookies and connections).

    with gunicorn_server(database_url, tmp_path, {"JOBS_URL": ...}) as base:
        browsers = [Browser(base) for _ in emails]
        tokens = prepare(browsers, emails, "/courses/burst/register")
        results = burst(browsers, requests)   # one POST each, released at the same instant

Used by tests/enrollment/test_concurrency.py and tests/mail/test_burst.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path

from tests.factories import PASSWORD
from tests.job_workers import environment
from tests.pg_server import free_port

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def gunicorn_server(
    database_url: str, folder: Path, settings: dict | None = None, workers: int = 4, threads: int = 4
) -> Iterator[str]:
    """Serve ``wsgi:app`` on ``database_url`` with gunicorn (``workers`` processes ×
    ``threads`` threads) on a free loopback port; yield its base URL. ``settings`` are
    more ``LMS_*`` settings (names without the prefix). On leaving, gunicorn is stopped
    and its log must hold no traceback."""
    port = free_port()
    log_path = folder / "gunicorn.log"
    settings = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "concurrency-test-secret",
        "INSTANCE_PATH": folder / "gunicorn-instance",
        "RATELIMIT_ENABLED": "false",
        **(settings or {}),
    }
    log = open(log_path, "wb")  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=environment(settings), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, log_path)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        errors = log_path.read_text(errors="replace")
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
