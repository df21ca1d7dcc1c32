"""The database server restarted (or an administrator ended our sessions) while the app
kept connections to it in its pool: the next requests are answered as usual, from new
connections, and a form sent then is saved once. PostgreSQL only: SQLite has no server.

The restart is simulated the way PostgreSQL itself ends sessions on a restart:
``pg_terminate_backend`` on every session of the test database but the caller's. What
keeps the next request from a dead connection is the pool's pre-ping (lms.create_app's
engine options): the test fails without it. (Checking the pooled connection's socket
instead of asking the server was tried to save that round trip per request; a request
arriving within milliseconds of the sessions' end still got a dead connection, so the
round trip stays.)"""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from lms import create_app
from lms.accounts.models import User
from lms.config import TestConfig
from lms.extensions import db as extension
from tests.accounts.test_signup_login import SIGNUP
from tests.conftest import TestClient
from tests.factories import UserFactory
from tests.pg_server import create_database


@pytest.fixture
def postgres_app(postgres_server_url, tmp_path):
    """The app on a PostgreSQL database of this test's own (the sessions it ends)."""
    url = create_database(postgres_server_url, "lms_restart")
    app = create_app(TestConfig(url, tmp_path / "instance"))
    app.test_client_class = TestClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        extension.session.remove()
        extension.engine.dispose()


def end_every_session(database_url: str) -> int:
    """End every session of the app's database, as a restart would; returns how many."""
    admin = create_engine(database_url, poolclass=NullPool)
    try:
        with admin.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        admin.dispose()
    return ended


def pooled_connections(app) -> int:
    with app.app_context():
        return extension.engine.pool.checkedin()


def test_pages_answer_after_the_database_ended_every_session(postgres_app):
    client = postgres_app.test_client()
    with postgres_app.app_context():
        UserFactory(email="learner@example.org")
        extension.session.commit()
    assert client.get("/").status_code == 200
    assert pooled_connections(postgres_app) >= 1
    assert end_every_session(postgres_app.config["SQLALCHEMY_DATABASE_URI"]) >= 1

    assert client.get("/?lang=en").status_code == 200  # a guest page, read from the database
    assert client.get("/healthz").json["database"] == "ok"
    signup = client.submit("/account/signup", SIGNUP)
    assert signup.request.path == "/account/profile"
    with postgres_app.app_context():
        emails = extension.session.scalars(select(User.email).order_by(User.email)).all()
    assert emails == ["learner@example.org", "thu.trang@example.org"]  # saved once
