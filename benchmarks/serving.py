"""What the load benchmarks share: a database with the benchmark data on each backend,
the app served by gunicorn, and a small keep-alive HTTP client with cookies.

Everything runs on this machine: servers listen on 127.0.0.1 only, and the clients
talk to nothing else.
"""

from __future__ import annotations

import http.client
import os
import re
import select
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQLITE_FILE = ROOT / "instance" / "benchmark.sqlite3"
BACKENDS = ("sqlite", "postgresql")
# Sessions of the benchmark's learners: the generated ones have no password.
PASSWORD = "benchmark password 2023"  # noqa: S105 (a throwaway password for local benchmark data)  # nosec B105

# 4 worker processes × 2 threads on the 2-core machine: two processes per core keep both
# cores busy despite the GIL while one process waits for the database, and the second
# thread of each overlaps a request's database round trips (or SQLite's write lock) with
# another request's Python work. More threads only add GIL contention on 2 cores.
WORKERS = 4
THREADS = 2
# Connections stay open between a client's requests as a browser's would (gunicorn's
# default of 2 s would close them between the benchmark's phases).
KEEP_ALIVE = 30
# Connections a worker holds at most: twice its threads, as the README's gunicorn command
# says. With gunicorn's default (1,000) the first worker to wake takes every connection
# of a burst and keeps them while they are kept alive: in 2 of 3 starts all 16 clients'
# connections were on one worker, so one process (one core, its GIL) served them and My
# schedule measured 239-345 requests/s where the same code spread over the workers gave
# 570-660. Bounded, a busy worker leaves new connections to the others.
CONNECTIONS_PER_THREAD = 2


# -- databases -----------------------------------------------------------------------


def benchmark_app(url: str):
    """The platform on ``url`` with its schema upgraded, for preparing data in-process."""
    from flask_migrate import upgrade

    from lms import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(ROOT / "instance")})
    with app.app_context():
        upgrade()
    return app


@contextmanager
def database(backend: str, postgres_url: str | None = None) -> Iterator[str]:
    """A database URL on ``backend``; PostgreSQL is a throwaway server unless given.

    SQLite is the file generate.py uses by default, kept between runs (its data is
    reused); a throwaway PostgreSQL server starts empty and is removed afterwards.
    """
    if backend == "sqlite":
        SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{SQLITE_FILE}"
        return
    from tests.pg_server import PostgresServer, create_database

    if postgres_url:
        yield create_database(postgres_url, "lms_bench")
        return
    server = PostgresServer().start()
    OWN_PROCESS_MARKERS.add(str(server.base))
    try:
        yield create_database(server.url(), "lms_bench")
    finally:
        server.stop()
        OWN_PROCESS_MARKERS.discard(str(server.base))


def dispose(app) -> None:
    """Close the preparing app's connections (a PostgreSQL database cannot be dropped
    while they are open; SQLite's write lock must be free for the served workers)."""
    from lms.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def give_password(app, user_ids: list[int]) -> None:
    """Let these learners sign in with PASSWORD (one hash: argon2 is slow on purpose)."""
    from sqlalchemy import update

    from lms.accounts.models import User
    from lms.accounts.services import hash_password

    with app.app_context():
        from lms.extensions import db

        db.session.execute(
            update(User).where(User.id.in_(user_ids)).values(password_hash=hash_password(PASSWORD))
        )
        db.session.commit()


# -- serving ---------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path
    base: str = field(init=False)

    def __post_init__(self) -> None:
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def tracebacks(self) -> str:
        """The server log from its first traceback on ("" when there was none)."""
        text = self.log.read_text(errors="replace")
        start = text.find("Traceback")
        return "" if start < 0 else text[start:]


def serve(
    name: str,
    wsgi_app: str,
    environment: dict[str, str],
    workdir: Path,
    workers: int = WORKERS,
    threads: int = THREADS,
) -> Server:
    """Start gunicorn for ``wsgi_app`` on a free loopback port and wait until it answers."""
    from tests.pg_server import free_port

    port = free_port()
    log = workdir / f"{name}.log"
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread", "--worker-connections", str(CONNECTIONS_PER_THREAD * threads),
        "--keep-alive", str(KEEP_ALIVE), "--bind", f"127.0.0.1:{port}",
        "--graceful-timeout", "5", "--log-level", "warning", wsgi_app,
    ]  # fmt: skip
    with open(log, "wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own gunicorn, arguments built here)
            command, cwd=ROOT, env={**os.environ, **environment}, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(name, process, port, log)
    OWN_PARENTS.add(process.pid)
    try:
        wait_until_up(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_up(server: Server, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited: {server.log.read_text(errors='replace')[-3000:]}")
        try:
            status, _ = Client(server.base).get("/")
            if status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer within {timeout:.0f} s")


def app_environment(url: str, instance: Path) -> dict[str, str]:
    """The platform's settings for a benchmark: production-like, on a throwaway instance
    folder; sign-in throttles raised because every client comes from 127.0.0.1."""
    return {
        "LMS_DATABASE_URL": url,
        "LMS_SECRET_KEY": "benchmark-secret-key-not-for-production",
        "LMS_INSTANCE_PATH": str(instance),
        "LMS_LOGIN_RATE_LIMIT": "100000 per minute",
        "LMS_BASE_URL": "http://127.0.0.1",
    }


# -- other jobs on the machine --------------------------------------------------------------

# What marks a process as the benchmark's own: this process and each gunicorn master, a
# path in its command line (the throwaway PostgreSQL's folder), and their descendants.
OWN_PARENTS: set[int] = {os.getpid()}
OWN_PROCESS_MARKERS: set[str] = set()
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> dict[int, tuple[int, int, str]]:
    """{pid: (parent pid, CPU ticks so far, command line)} of every process we may read."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), command)
    return found


def _with_descendants(processes: dict[int, tuple[int, int, str]], roots: set[int]) -> set[int]:
    found = set(roots)
    while True:  # gunicorn's workers, PostgreSQL's backends
        children = {pid for pid, (parent, _, _) in processes.items() if parent in found} - found
        if not children:
            return found
        found |= children


def _marked(processes: dict[int, tuple[int, int, str]], markers: set[str]) -> set[int]:
    return {pid for pid, (_, _, command) in processes.items() if any(marker in command for marker in markers)}


def _others_ticks() -> dict[int, int]:
    processes = _processes()
    own = _with_descendants(processes, set(OWN_PARENTS) | _marked(processes, OWN_PROCESS_MARKERS))
    return {pid: ticks for pid, (_, ticks, _) in processes.items() if pid not in own}


def cpu_seconds(roots: set[int] = frozenset(), markers: set[str] = frozenset()) -> float:
    """CPU seconds used so far by the processes ``roots`` and those whose command line
    holds one of ``markers`` (the throwaway PostgreSQL's folder), with their descendants:
    what a server costs per request, read before and after a measurement."""
    processes = _processes()
    found = _with_descendants(processes, set(roots) | _marked(processes, set(markers)))
    return sum(processes[pid][1] for pid in found if pid in processes) / TICKS


class OtherJobs:
    """CPU that processes other than the benchmark's used over a period, in cores (the
    machine is shared: a test suite next door takes cycles from what is measured)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.before = _others_ticks()

    def cores(self) -> float:
        after = _others_ticks()
        used = sum(ticks - self.before.get(pid, 0) for pid, ticks in after.items())
        return used / TICKS / max(1e-6, time.monotonic() - self.started)


def load_average() -> str:
    try:
        with open("/proc/loadavg") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:
        return "unknown"


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)


# -- the HTTP client ------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The connection closed (or was found unusable) before an answer came.
DROPPED = (
    http.client.RemoteDisconnected,
    http.client.CannotSendRequest,
    BrokenPipeError,
    ConnectionResetError,
)
# Methods a client may send again after a dropped connection: sending them twice does what
# sending them once does. A POST is never sent again: the server may have acted on the
# first one before the connection dropped, and a benchmark that re-sent it would hide
# failures (and could register a learner twice).
RESENDABLE = frozenset({"GET", "HEAD", "OPTIONS"})


class ConnectionDropped(ConnectionError):
    """The connection dropped before an answer; for a POST the server may or may not have
    acted on it, so it is reported (an error in the benchmark's figures), not re-sent."""

    def __init__(self, method: str, path: str, cause: BaseException, attempts: int) -> None:
        self.method, self.path, self.cause, self.attempts = method, path, cause, attempts
        again = "; not sent again" if method not in RESENDABLE else f" ({attempts} attempts)"
        super().__init__(
            f"{method} {path}: connection dropped before an answer "
            f"({type(cause).__name__}: {cause or 'no detail'}){again}"
        )

    @property
    def reason(self) -> str:
        return f"{self.method}: connection dropped ({type(self.cause).__name__})"


def failure_reason(error: BaseException) -> str:
    """A short reason for an error without its path, for counting errors by kind."""
    if isinstance(error, ConnectionDropped):
        return error.reason
    return f"{type(error).__name__}: {error}"[:120]


class Client:
    """One browser: a keep-alive connection and a cookie jar, nothing more.

    Built on http.client because the load generator shares the two cores with the
    server: a heavier client would eat into what it measures.

    Before each request, a kept-alive connection that the server has closed meanwhile is
    replaced (nothing has been sent on it yet, so this re-sends nothing). When the
    connection drops after that, before an answer, a GET is sent once more on a new
    connection; a POST is not, and ``ConnectionDropped`` (an OSError) says what happened.
    """

    def __init__(self, base: str, timeout: float = 120, language: str = "vi") -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.language = language
        self.connection = self._connect()
        self.cookies: dict[str, str] = {}

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _reconnect(self) -> None:
        self.connection.close()
        self.connection = self._connect()

    def _closed_by_server(self) -> bool:
        """Whether the idle kept-alive connection has been closed by the server (it is
        readable: an end of file, or bytes nobody asked for; either way unusable)."""
        sock = self.connection.sock
        if sock is None:
            return False  # not connected yet: http.client connects on the next request
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def close(self) -> None:
        self.connection.close()

    def request(
        self,
        method: str,
        path: str,
        form: dict | None = None,
        cookies: bool = True,
        headers: dict | None = None,
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        headers = {"Accept-Language": self.language, **(headers or {})}
        if cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self._closed_by_server():
            self._reconnect()
        attempts = 2 if method in RESENDABLE else 1
        for attempt in range(1, attempts + 1):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except DROPPED as error:
                self._reconnect()
                if attempt == attempts:
                    raise ConnectionDropped(method, path, error, attempts) from error
        if cookies:
            self._keep_cookies(response)
        if response.getheader("Connection", "").lower() == "close":
            self._reconnect()
        return response.status, data, response

    def _keep_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str, cookies: bool = True) -> tuple[int, bytes]:
        status, data, _ = self.request("GET", path, cookies=cookies)
        return status, data

    def post(self, path: str, form: dict) -> tuple[int, bytes, str]:
        """POST a form; returns the status, the body and the redirect target (or "")."""
        status, data, response = self.request("POST", path, form=form)
        location = response.getheader("Location", "")
        return status, data, urllib.parse.urlsplit(location).path if location else ""

    def csrf_token(self, path: str) -> tuple[str, str]:
        """The CSRF token of the form on ``path`` and the page itself."""
        status, data = self.get(path)
        page = data.decode()
        match = CSRF.search(page)
        if status != 200 or match is None:
            raise RuntimeError(f"no form on {path} (HTTP {status})")
        return match.group(1), page

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        token, _ = self.csrf_token("/account/login")
        status, _, target = self.post(
            "/account/login", {"csrf_token": token, "email": email, "password": password}
        )
        if status != 302 or target.startswith("/account/login"):
            raise RuntimeError(f"sign-in of {email} failed (HTTP {status})")
