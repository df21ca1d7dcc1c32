"""Error pages that tell the truth and need no database.

The 500 page is shown exactly when something is broken, often the database itself
(down, unreachable, locked), so it renders without a query: no signed-in user, no
stored preference; its language comes from the request alone. It says "nothing was
changed" only when nothing was committed during the request.
"""

from __future__ import annotations

import socket
import sqlite3
import time

import pytest
from flask import abort
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from lms import create_app, extensions
from lms.accounts.models import User
from lms.config import TestConfig
from tests.conftest import TestClient
from tests.factories import UserFactory
from tests.helpers import count_queries, page_text

NOTHING_CHANGED = {"en": "nothing was changed", "vi": "chưa có thay đổi nào được lưu"}
MAYBE_SAVED = {"en": "may have been saved", "vi": "có thể đã được lưu"}
TITLE = {"en": "Something went wrong", "vi": "Đã xảy ra lỗi"}


def free_port() -> int:
    """A local port nobody listens on (bound for a moment, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unreachable_url(database_url: str, tmp_path) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'no-such-directory' / 'lms.sqlite3'}"
    return (
        make_url(database_url).set(host="127.0.0.1", port=free_port()).render_as_string(hide_password=False)
    )


def production_like_app(database_url: str, instance, **settings):
    """The real app, answering errors as in production (no exception propagation)."""
    config = TestConfig(database_url, instance)
    config.PROPAGATE_EXCEPTIONS = False
    for name, value in settings.items():
        setattr(config, name, value)
    app = create_app(config)
    app.test_client_class = TestClient
    return app


def add_user(email: str) -> None:
    extensions.db.session.add(
        User(
            email=email,
            full_name="Trần Thị Lỗi",
            password_hash=None,
            locale="en",
            timezone="Asia/Ho_Chi_Minh",
        )
    )


def add_failing_routes(app) -> None:
    """Test-only routes on this app object: never part of the product."""

    def read_then_fail():
        extensions.db.session.execute(select(User.id)).all()
        raise RuntimeError("unreachable: the query above fails first")

    def commit_then_fail():
        add_user("saved-before-the-error@example.org")
        extensions.db.session.commit()
        raise RuntimeError("after the commit")

    def fail_before_commit():
        add_user("never-saved@example.org")
        extensions.db.session.flush()
        raise RuntimeError("before any commit")

    def write():
        who = "member" if current_user.is_authenticated else "guest"  # loads the user
        add_user(f"written-by-a-{who}@example.org")
        extensions.db.session.commit()
        return "saved"

    app.add_url_rule("/test/read-then-fail", view_func=read_then_fail)
    app.add_url_rule("/api/test/read-then-fail", "api_read_then_fail", view_func=read_then_fail)
    app.add_url_rule("/test/commit-then-fail", view_func=commit_then_fail, methods=["POST"])
    app.add_url_rule("/test/fail-before-commit", view_func=fail_before_commit, methods=["POST"])
    app.add_url_rule("/test/write", view_func=write, methods=["POST"])


def pretend_signed_in(client, user_id: int = 1, lang: str | None = None) -> None:
    """A session cookie naming a user, made without the database (as a browser would
    bring it): loading that user needs the database."""
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:1"
        session["_fresh"] = True
        if lang:
            session["lang"] = lang


def user_emails(db) -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(select(User.email)))


@pytest.fixture
def broken_app(database_url, tmp_path):
    """The app with a database nobody answers at (PostgreSQL: a closed port;
    SQLite: a file in a directory that does not exist)."""
    app = production_like_app(unreachable_url(database_url, tmp_path), tmp_path / "instance")
    add_failing_routes(app)
    yield app
    with app.app_context():
        extensions.db.session.remove()
        extensions.db.engine.dispose()


# -- (a) the database cannot be reached -----------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True], ids=["guest", "signed-in"])
def test_500_page_renders_in_vietnamese_when_the_database_is_unreachable(broken_app, signed_in):
    client = broken_app.test_client()
    if signed_in:
        pretend_signed_in(client)
    response = client.get("/test/read-then-fail")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    body = page_text(response)
    assert '<html lang="vi">' in body
    assert TITLE["vi"] in body
    assert NOTHING_CHANGED["vi"] in body
    # A neutral header: the site's name, home, the language switch; no account menu.
    assert "Khóa học" in body
    assert 'class="lang-switch"' in body and 'hreflang="en"' in body
    assert "Đăng xuất" not in body
    assert "Đăng nhập" not in body


@pytest.mark.parametrize(
    ("how", "signed_in"),
    [
        ("query", False),
        ("query", True),
        ("accept-language", False),
        ("accept-language", True),
        ("session", True),
    ],
)
def test_500_page_speaks_english_when_the_request_asks_for_it(broken_app, how, signed_in):
    client = broken_app.test_client()
    if signed_in:
        pretend_signed_in(client, lang="en" if how == "session" else None)
    path, headers = "/test/read-then-fail", {}
    if how == "query":
        path += "?lang=en"
    elif how == "accept-language":
        headers["Accept-Language"] = "en-GB,en;q=0.9,vi;q=0.5"
    response = client.get(path, headers=headers)
    assert response.status_code == 500
    body = page_text(response)
    assert '<html lang="en">' in body
    assert TITLE["en"] in body
    assert NOTHING_CHANGED["en"] in body
    assert 'class="lang-switch"' in body
    assert "Sign out" not in body


def test_other_error_pages_need_no_database_either(broken_app):
    client = broken_app.test_client()
    pretend_signed_in(client)
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "Page not found" in page_text(response)
    assert 'class="lang-switch"' in page_text(response)


def test_json_clients_get_json_when_the_database_is_unreachable(broken_app):
    client = broken_app.test_client()
    response = client.get("/api/test/read-then-fail")
    assert response.status_code == 500
    assert response.json == {"error": "Đã xảy ra lỗi", "status": 500}
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["database"] == "unavailable"


# -- what the page says about the reader's last action ------------------------------


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_error_after_a_commit_does_not_claim_nothing_changed(app, client, db, lang):
    add_failing_routes(app)
    response = client.submit(f"/test/commit-then-fail?lang={lang}", {}, follow_redirects=False)
    assert response.status_code == 500
    body = page_text(response)
    assert TITLE[lang] in body
    assert MAYBE_SAVED[lang] in body
    assert NOTHING_CHANGED[lang] not in body
    assert "saved-before-the-error@example.org" in user_emails(db)


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_error_before_any_commit_says_nothing_changed_and_saves_nothing(app, client, db, lang):
    add_failing_routes(app)
    response = client.submit(f"/test/fail-before-commit?lang={lang}", {}, follow_redirects=False)
    assert response.status_code == 500
    body = page_text(response)
    assert NOTHING_CHANGED[lang] in body
    assert MAYBE_SAVED[lang] not in body
    assert "never-saved@example.org" not in user_emails(db)


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
@pytest.mark.parametrize("failure", ["abort", "exception"])
def test_abort_500_and_an_unhandled_exception_give_the_same_page(app, client, failure):
    def fail():
        if failure == "abort":
            abort(500)
        raise KeyError("a bug")

    app.add_url_rule("/test/fail", view_func=fail)
    response = client.get("/test/fail?lang=en")
    assert response.status_code == 500
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    body = page_text(response)
    assert TITLE["en"] in body
    assert NOTHING_CHANGED["en"] in body
    assert "<script" not in body and "style=" not in body


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_a_commit_that_fails_on_its_way_may_have_saved(app, client, db, monkeypatch):
    """The connection breaks while COMMIT is sent: the server may have committed."""
    add_failing_routes(app)
    token = client.csrf_token()
    with app.app_context():
        dialect = extensions.db.engine.dialect

    def connection_lost(dbapi_connection):
        raise ConnectionResetError("connection lost while committing")

    monkeypatch.setattr(dialect, "do_commit", connection_lost)
    response = client.post("/test/write?lang=en", data={"csrf_token": token})
    monkeypatch.undo()
    assert response.status_code == 500
    assert MAYBE_SAVED["en"] in page_text(response)


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_an_aborted_request_rolls_back_quietly_even_when_rollback_fails(app, client, db, monkeypatch):
    add_failing_routes(app)
    token = client.csrf_token()

    def rollback_fails():
        raise ConnectionResetError("the server went away")

    monkeypatch.setattr(extensions.db.session, "rollback", rollback_fails)
    response = client.post("/test/fail-before-commit?lang=en", data={"csrf_token": token})
    monkeypatch.undo()
    assert response.status_code == 500
    body = page_text(response)
    assert TITLE["en"] in body
    # Without a confirmed rollback the page does not promise that nothing changed.
    assert NOTHING_CHANGED["en"] not in body
    assert "never-saved@example.org" not in user_emails(db)


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_the_error_page_runs_no_query_and_ignores_the_stored_preference(app, client, db):
    """A signed-in reader whose account says English, in a session that remembers no
    language: the error page may not read the account, so it follows the browser."""

    def fail():
        raise RuntimeError("no database involved")

    app.add_url_rule("/test/fail", view_func=fail)
    UserFactory(email="reader@example.org", locale="en")
    client.sign_in("reader@example.org")
    with client.session_transaction() as session:
        session.pop("lang", None)
    with count_queries(app) as queries:
        response = client.get("/test/fail", headers={"Accept-Language": "vi"})
    assert response.status_code == 500
    assert queries.statements == []
    assert '<html lang="vi">' in page_text(response)
    assert "Lịch của tôi" not in page_text(response)  # no account menu


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_a_page_that_cannot_be_rendered_still_answers_500(app, client, monkeypatch):
    def fail():
        raise RuntimeError("the view fails")

    def template_broken(*args, **kwargs):
        raise RuntimeError("and so does the error template")

    app.add_url_rule("/test/fail", view_func=fail)
    monkeypatch.setattr("lms.errors.render_without_database", template_broken)
    response = client.get("/test/fail?lang=en")
    assert response.status_code == 500
    assert TITLE["en"] in page_text(response)
    assert NOTHING_CHANGED["en"] in page_text(response)


# -- (d) the database is locked ---------------------------------------------------------


@pytest.fixture
def locked_app(database_url, tmp_path):
    """A signed-in learner's client, and a function that holds the database's lock
    (SQLite: another connection's BEGIN IMMEDIATE; PostgreSQL: an exclusive lock on the
    user table), with the app told to wait only briefly."""
    if database_url.startswith("sqlite"):
        settings = {"SQLITE_BUSY_TIMEOUT": 0.2}
    else:
        settings = {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c lock_timeout=200"}}}
    app = production_like_app(database_url, tmp_path / "instance", **settings)
    add_failing_routes(app)
    with app.app_context():
        UserFactory(email="locked-out@example.org")
        extensions.db.session.commit()
    client = app.test_client()
    client.sign_in("locked-out@example.org")
    yield app, client
    with app.app_context():
        extensions.db.session.remove()
        extensions.db.engine.dispose()


def hold_the_lock(database_url):
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        return holder
    import psycopg

    plain = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    holder = psycopg.connect(plain)
    holder.execute('LOCK TABLE "user" IN ACCESS EXCLUSIVE MODE')
    return holder


def test_500_page_renders_while_the_database_is_locked(locked_app, database_url):
    app, client = locked_app
    token = client.csrf_token("/account/profile")
    holder = hold_the_lock(database_url)
    try:
        started = time.monotonic()
        response = client.post("/test/write?lang=en", data={"csrf_token": token})
        elapsed = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 500
    body = page_text(response)
    assert TITLE["en"] in body
    assert NOTHING_CHANGED["en"] in body
    assert 'class="lang-switch"' in body  # the whole page, not the last-resort words
    assert "Sign out" not in body
    # One wait for the lock (the request's own), not a second one for the error page.
    assert elapsed < 5
    with app.app_context():
        assert extensions.db.session.execute(text("SELECT 1")).scalar() == 1
