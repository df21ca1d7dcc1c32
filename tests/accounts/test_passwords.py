"""Password reset by email, password change, throttling, and the create-user command."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import event, select

from lms.accounts import services
from lms.accounts.models import PasswordResetToken, User
from lms.db import utcnow
from lms.extensions import limiter
from tests.conftest import email_text, sent_emails
from tests.factories import PASSWORD, UserFactory
from tests.helpers import page_text

NEW_PASSWORD = "a-brand-new-password"


def reset_link(app) -> str:
    text = email_text(sent_emails(app)[-1])
    return re.search(r"http://localhost(/account/reset/\S+)", text).group(1)


def test_reset_email_goes_out_in_the_recipients_language(app, client, db):
    UserFactory(email="anna@example.org", full_name="Anna Keller", locale="en")
    UserFactory(email="lan@example.org", full_name="Nguyễn Thị Lan", locale="vi")
    # The page is in Vietnamese, but Anna reads English.
    client.submit("/account/reset?lang=vi", {"email": "anna@example.org"})
    client.submit("/account/reset?lang=en", {"email": "lan@example.org"})
    english, vietnamese = sent_emails(app)
    assert english["To"] == "anna@example.org"
    assert english["Subject"] == "Choose a new password"
    assert "Hello Anna Keller" in email_text(english)
    assert vietnamese["Subject"] == "Chọn mật khẩu mới"
    assert "Nguyễn Thị Lan" in email_text(vietnamese)
    # In development each message is also written to the mail folder.
    assert len(list(Path(app.config["MAIL_DIR"]).glob("*.eml"))) == 2


def anonymised(page: str) -> str:
    """The page without what legitimately differs: the email typed and the CSRF token."""
    page = re.sub(r"\S+@example\.org", "EMAIL", page)
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "CSRF", page)


def test_reset_answers_the_same_for_an_unknown_email(app, client, db):
    UserFactory(email="anna@example.org")
    known = page_text(client.submit("/account/reset?lang=en", {"email": "anna@example.org"}))
    unknown = page_text(client.submit("/account/reset?lang=en", {"email": "nobody@example.org"}))
    assert anonymised(known) == anonymised(unknown)
    assert len(sent_emails(app)) == 1


def test_reset_link_sets_a_new_password_once(app, client, db):
    user = UserFactory(email="anna@example.org")
    client.submit("/account/reset", {"email": "anna@example.org"})
    link = reset_link(app)
    response = client.submit(link + "?lang=en", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert "Your new password is set" in page_text(response)
    db.session.expire_all()
    assert services.authenticate("anna@example.org", NEW_PASSWORD).id == user.id
    assert services.authenticate("anna@example.org", PASSWORD) is None
    # The same link a second time is refused with a clear message.
    response = client.get(link + "?lang=en", follow_redirects=True)
    assert "invalid, expired or already used" in page_text(response)


def test_an_expired_reset_token_is_refused(app, db):
    UserFactory(email="anna@example.org")
    with app.test_request_context():
        services.request_password_reset("anna@example.org", now=utcnow() - timedelta(hours=2))
    db.session.commit()
    token = re.search(r"/account/reset/(\S+)", email_text(sent_emails(app)[-1])).group(1)
    assert services.valid_reset_token(token) is None
    with pytest.raises(services.ServiceError, match="đã hết hạn"):
        services.reset_password(token, NEW_PASSWORD)


def test_only_a_digest_of_the_token_is_stored(app, client, db):
    UserFactory(email="anna@example.org")
    client.submit("/account/reset", {"email": "anna@example.org"})
    token = reset_link(app).rsplit("/", 1)[1]
    stored = db.session.scalar(select(PasswordResetToken.token_hash))
    assert token not in stored and len(stored) == 64


def test_using_one_link_cancels_the_other_outstanding_links(app, client, db):
    UserFactory(email="anna@example.org")
    client.submit("/account/reset", {"email": "anna@example.org"})
    first = reset_link(app)
    client.submit("/account/reset", {"email": "anna@example.org"})
    second = reset_link(app)
    client.submit(second, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    response = client.get(first + "?lang=en", follow_redirects=True)
    assert "invalid, expired or already used" in page_text(response)


def test_password_change_signs_out_other_devices(app, db):
    UserFactory(email="anna@example.org")
    laptop, phone = app.test_client(), app.test_client()
    laptop.sign_in("anna@example.org")
    phone.sign_in("anna@example.org")
    response = laptop.submit(
        "/account/password?lang=en",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert "Your password is changed" in page_text(response)
    assert laptop.get("/account/profile").status_code == 200
    assert phone.get("/account/profile").status_code == 302


def test_password_change_needs_the_current_password(app, client, db):
    user = UserFactory(email="anna@example.org")
    client.sign_in("anna@example.org")
    response = client.submit(
        "/account/password?lang=en",
        {"current_password": "wrong-password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert "Your current password is not correct." in page_text(response)
    db.session.refresh(user)
    assert services.password_matches(user, PASSWORD)


@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
def test_sign_in_is_throttled(app, client, db):
    limiter.reset()
    UserFactory(email="anna@example.org")
    for _ in range(3):
        client.submit("/account/login", {"email": "anna@example.org", "password": "wrong-password"})
    response = client.submit("/account/login?lang=en", {"email": "anna@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in page_text(response)
    limiter.reset()


@pytest.mark.config(RATELIMIT_ENABLED=True, RESET_RATE_LIMIT="2 per minute")
def test_reset_requests_are_throttled(app, client, db):
    limiter.reset()
    for _ in range(2):
        client.submit("/account/reset", {"email": "someone@example.org"})
    response = client.submit("/account/reset?lang=vi", {"email": "someone@example.org"})
    assert response.status_code == 429
    assert "Bạn đã thử quá nhiều lần" in page_text(response)
    limiter.reset()


def test_create_user_command_creates_and_adds_roles(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["lms", "create-user", "Trainer@Example.org", "--role", "trainer", "--name", "Võ Văn Kiệt",
              "--password", "trainer-password-1"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "created trainer@example.org with roles: trainer" in result.output
    result = runner.invoke(args=["lms", "create-user", "trainer@example.org", "--role", "organiser"])
    assert result.exit_code == 0, result.output
    assert "roles now: organiser, trainer" in result.output
    user = db.session.scalar(select(User).where(User.email == "trainer@example.org"))
    assert user.full_name == "Võ Văn Kiệt"
    assert user.role_names == {"organiser", "trainer"}
    assert services.authenticate("trainer@example.org", "trainer-password-1") is not None


def test_create_user_command_rejects_an_unknown_role(app):
    result = app.test_cli_runner().invoke(args=["lms", "create-user", "x@example.org", "--role", "admin"])
    assert result.exit_code != 0
    assert "admin" in result.output


def test_the_slow_password_check_never_runs_while_a_write_transaction_is_open(client, db, monkeypatch):
    """The argon2 check (tens of milliseconds) must not run while this request holds a
    write transaction (on SQLite the database's only write lock: BEGIN IMMEDIATE, or a
    write, until COMMIT or ROLLBACK), or sign-ins queue up every other writer behind
    them. The sign-in reads the user in a read transaction and writes after the check."""
    UserFactory(email="lock@example.org")
    db.session.commit()
    writing = []

    def statement(conn, cursor, sql, *args) -> None:
        verb = sql.lstrip().upper()
        if verb.startswith(("BEGIN IMMEDIATE", "INSERT", "UPDATE", "DELETE")):
            writing[:] = [True]
        elif verb.startswith(("COMMIT", "ROLLBACK", "BEGIN")):
            writing[:] = [False]

    def ended(conn) -> None:
        writing[:] = [False]

    seen = []
    real = services._hash_matches

    def watching(stored, password):
        seen.append(bool(writing and writing[0]))
        return real(stored, password)

    monkeypatch.setattr(services, "_hash_matches", watching)
    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "commit", ended)
    event.listen(db.engine, "rollback", ended)
    try:
        client.sign_in("lock@example.org")
        client.post("/account/logout", data={"csrf_token": client.csrf_token()})
        client.submit("/account/login", {"email": "nobody@example.org", "password": "whatever it is"})
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "commit", ended)
        event.remove(db.engine, "rollback", ended)
    assert seen == [False, False]
    assert db.session.scalar(select(User.last_login_at).where(User.email == "lock@example.org")) is not None


def _parameters(password_hash: str) -> tuple[str, int, int, int]:
    """(variant, memory KiB, passes, lanes) read from an argon2 hash string."""
    parameters = extract_parameters(password_hash)
    return parameters.type.name, parameters.memory_cost, parameters.time_cost, parameters.parallelism


def test_new_passwords_use_owasps_minimum_argon2id_parameters(db):
    user = UserFactory(email="owasp@example.org")
    services.set_password(user, "a fresh password 2024")
    assert _parameters(user.password_hash) == ("ID", 19456, 2, 1)
    assert services.authenticate("owasp@example.org", "a fresh password 2024") is not None


# argon2-cffi's own defaults, as every hash was made before the parameters were chosen
OLD_HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)


def test_an_old_parameter_hash_is_upgraded_at_the_next_successful_sign_in(client, db):
    user = UserFactory(email="old@example.org")
    user.password_hash = OLD_HASHER.hash(PASSWORD)
    db.session.commit()
    assert _parameters(user.password_hash) == ("ID", 65536, 3, 4)

    client.sign_in("old@example.org")

    db.session.expire_all()
    upgraded = db.session.get(User, user.id).password_hash
    assert _parameters(upgraded) == ("ID", 19456, 2, 1)
    assert services.authenticate("old@example.org", PASSWORD) is not None


def test_a_wrong_password_upgrades_nothing(client, db):
    user = UserFactory(email="old-wrong@example.org")
    old_hash = OLD_HASHER.hash(PASSWORD)
    user.password_hash = old_hash
    db.session.commit()

    client.submit("/account/login", {"email": "old-wrong@example.org", "password": "not the password"})

    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash
    assert services.authenticate("old-wrong@example.org", "not the password") is None
    assert db.session.get(User, user.id).password_hash == old_hash
