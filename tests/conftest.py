"""Fixtures: the app on each database backend, a database session, a test client.

Every test that asks for ``app`` (or ``db`` / ``client``) runs twice: on SQLite and on
a real PostgreSQL server. The schema is built once per backend by running the Alembic
migrations, and every table is emptied after each test.
"""

from __future__ import annotations

import contextvars
import os
import re
from email import message_from_bytes, policy

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from lms import create_app, extensions
from lms.config import TestConfig
from tests.pg_server import PostgresServer, PostgresUnavailable, create_database

pytest_plugins = ["tests.fixtures_servers"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SKIPPED_FOR_MISSING_PARTS: list[str] = []


def missing_part(reason: str):
    """Skip loudly on a developer machine; in CI a missing part is a failure."""
    if IN_CI:
        pytest.fail(f"CI must run everything, but: {reason}")
    SKIPPED_FOR_MISSING_PARTS.append(reason)
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter):
    if SKIPPED_FOR_MISSING_PARTS:
        terminalreporter.section("PARTS OF THE SUITE DID NOT RUN", sep="!", red=True, bold=True)
        for reason in sorted(set(SKIPPED_FOR_MISSING_PARTS)):
            terminalreporter.write_line(f"SKIPPED: {reason}", red=True, bold=True)
        terminalreporter.write_line("Install what is missing (see .ci/run) to run the whole suite.", red=True)


@pytest.fixture(scope="session")
def postgres_server_url():
    external = os.environ.get("LMS_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as error:
        missing_part(f"PostgreSQL tests: {error}")
    yield server.url()
    server.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """A migrated, empty database per backend, shared by the tests of that backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'lms.sqlite3'}"
    else:
        url = create_database(request.getfixturevalue("postgres_server_url"), "lms_test")
    app = create_app(TestConfig(url, tmp_path_factory.mktemp("migrate-instance")))
    with app.app_context():
        upgrade()
        extensions.db.engine.dispose()
    return url


@pytest.fixture
def app(request, database_url, tmp_path):
    """The app on one backend; ``@pytest.mark.config(NAME=value)`` overrides settings."""
    config = TestConfig(database_url, tmp_path / "instance")
    marker = request.node.get_closest_marker("config")
    for name, value in (marker.kwargs if marker else {}).items():
        setattr(config, name, value)
    app = create_app(config)
    app.test_client_class = TestClient
    yield app
    with app.app_context():
        extensions.db.session.remove()
        empty_all_tables()
        extensions.db.engine.dispose()


def empty_all_tables() -> None:
    with extensions.db.engine.begin() as connection:
        for table in reversed(extensions.db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def db(app):
    """The database inside an app context, for service tests and set-up."""
    with app.app_context():
        yield extensions.db
        extensions.db.session.rollback()


class TestClient(FlaskClient):
    """A test client whose requests are isolated from the test's own app context.

    Each request runs in a fresh context (its own app context, session and ``g``),
    as a real request would. Whatever the test itself added to the database is
    committed first, so the request sees it and SQLite's write lock is free.
    """

    __test__ = False

    def open(self, *args, **kwargs):
        if has_app_context() and extensions.db.session.registry.has():
            extensions.db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self, path: str = "/account/reset") -> str:
        page = self.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def submit(self, path: str, data: dict, follow_redirects: bool = True, **kwargs):
        """POST a form with a valid CSRF token, as the browser would."""
        token = self.csrf_token()
        return self.post(
            path, data={"csrf_token": token, **data}, follow_redirects=follow_redirects, **kwargs
        )

    def sign_in(self, email: str, password: str = "correct horse battery"):  # noqa: S107
        response = self.submit("/account/login", {"email": email, "password": password})
        assert "/account/login" not in response.request.path, "sign-in failed"
        return response


@pytest.fixture
def client(app):
    return app.test_client()


def deliver_outbox(app):
    """Do what a job worker does: build and send every due email (to the instance mail
    folder, or the configured SMTP server). Returns the delivery report."""
    from lms.mail.delivery import deliver_due

    app = getattr(app, "_get_current_object", lambda: app)()  # current_app works too
    if has_app_context() and extensions.db.session.registry.has():
        extensions.db.session.commit()
    # In a context of its own, as the worker's: the test's session is not the job's.
    return contextvars.Context().run(_deliver_in_own_context, app, deliver_due)


def _deliver_in_own_context(app, deliver_due):
    with app.app_context():
        try:
            return deliver_due()
        finally:
            extensions.db.session.remove()


def sent_emails(app) -> list:
    """Every email queued so far, delivered as a worker would, parsed, oldest first."""
    from lms.mail.models import OutboxMessage

    deliver_outbox(app)
    with app.app_context():
        rows = extensions.db.session.scalars(
            extensions.db.select(OutboxMessage).order_by(OutboxMessage.id)
        ).all()
        return [message_from_bytes(row.raw, policy=policy.default) for row in rows]


def email_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
