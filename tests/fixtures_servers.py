"""Fixtures for the real servers that mail, queue and cache tests talk to.

Registered from tests/conftest.py (``pytest_plugins``):

``smtp_server``
    a fresh SmtpServer (tests/smtp_server.py) per test, on its own loopback port.
``redis_url``
    one Redis server for the session: ``LMS_TEST_REDIS_URL`` when set, else a
    throwaway ``redis-server``; skipped loudly (failed in CI) when there is none.
    Shared by every test: use your own keys or database number, or flush what you used.
``redis_server``
    a throwaway RedisServer of the test's own, for tests that ``kill()`` and
    ``restart()`` it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.redis_server import RedisServer, RedisUnavailable
from tests.smtp_server import SmtpServer


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback, of this test's own; see tests/smtp_server.py."""
    with SmtpServer() as server:
        yield server


def _start_redis() -> RedisServer:
    from tests.conftest import missing_part

    try:
        return RedisServer().start()
    except RedisUnavailable as error:
        missing_part(f"Redis tests: {error}")
        raise  # not reached: missing_part skips or fails


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of the session's Redis server (shared: use your own keys)."""
    external = os.environ.get("LMS_TEST_REDIS_URL")
    if external:
        yield external
        return
    server = _start_redis()
    yield server.url()
    server.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A throwaway Redis server of this test's own, to kill() and restart()."""
    server = _start_redis()
    yield server
    server.stop()
