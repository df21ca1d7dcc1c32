"""A throwaway Redis server for the test suite.

Queue and cache tests also run on a real Redis server. When ``LMS_TEST_REDIS_URL`` names
one, that one is used; otherwise the suite starts its own from the installed
``redis-server`` (Debian's package), on a free loopback port in a temporary folder,
without persistence, and stops it at the end. ``kill()`` and ``restart()`` let a test
take Redis away abruptly and bring it back, empty, on the same port.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class RedisUnavailable(RuntimeError):
    pass


def find_redis_server() -> Path:
    """``LMS_TEST_REDIS_SERVER`` when set, else Debian's or the one on PATH."""
    named = os.environ.get("LMS_TEST_REDIS_SERVER")
    candidates = [named] if named else ["/usr/bin/redis-server", shutil.which("redis-server") or ""]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise RedisUnavailable(f"no redis-server binary found ({named or 'Debian package redis-server'})")


class RedisServer:
    def __init__(self) -> None:
        self.binary = find_redis_server()
        # Holds a free loopback port for the server's whole life, across kill() and
        # restart(): bound with SO_REUSEADDR and never listening, so redis-server (which
        # sets SO_REUSEADDR too) can listen there, and connecting is refused while it is
        # down. The socket is not inherited by redis-server.
        self._reservation = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._reservation.bind(("127.0.0.1", 0))
        self.port: int = self._reservation.getsockname()[1]
        self.base = Path(tempfile.mkdtemp(prefix="lms-redis-"))
        self.log = self.base / "server.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server and wait until it answers PING."""
        if self.process is not None:
            raise RuntimeError("the Redis server is already running")
        command = [
            str(self.binary),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.base),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", str(self.log),
        ]  # fmt: skip
        with open(self.base / "stderr.log", "ab") as errors:
            self.process = subprocess.Popen(
                command, cwd=self.base, stdin=subprocess.DEVNULL, stdout=errors, stderr=subprocess.STDOUT
            )
        try:
            self._wait_until_up(timeout)
        except BaseException:
            self._end(signal.SIGKILL)
            raise
        return self

    def _wait_until_up(self, timeout: float) -> None:
        import redis

        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RedisUnavailable(
                    f"redis-server exited with {self.process.returncode}: {self._output()}"
                )
            client = redis.Redis(
                host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5
            )
            try:
                if client.ping():
                    return
            except redis.exceptions.RedisError:
                if time.monotonic() > deadline:
                    self._end(signal.SIGKILL)
                    raise RedisUnavailable(
                        f"redis-server did not answer PING within {timeout:.0f} s: {self._output()}"
                    ) from None
                time.sleep(0.02)
            finally:
                client.close()

    def _output(self) -> str:
        texts = [path.read_text(errors="replace")[-2000:] for path in (self.base / "stderr.log", self.log)
                 if path.exists()]  # fmt: skip
        return "\n".join(texts).strip() or "(no output)"

    def _end(self, how: signal.Signals) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(how)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def kill(self) -> None:
        """Take Redis away at once (SIGKILL), as a crash would: open connections drop and
        new ones are refused until ``restart()``."""
        self._end(signal.SIGKILL)

    def restart(self, timeout: float = 10.0) -> RedisServer:
        """Start again on the same port, empty (nothing is persisted)."""
        self._end(signal.SIGTERM)
        return self.start(timeout)

    def stop(self) -> None:
        """Shut the server down (SIGTERM: no snapshot is written), release the port and
        remove the folder."""
        try:
            self._end(signal.SIGTERM)
        finally:
            self._reservation.close()
            shutil.rmtree(self.base, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
