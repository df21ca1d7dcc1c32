"""Security headers on every kind of response, HSTS only over HTTPS, cookie flags,
and sessions that are renewed at sign-in and die at sign-out and password change."""

from __future__ import annotations

import pytest

from lms import create_app, extensions
from lms.config import TestConfig
from lms.security import CONTENT_SECURITY_POLICY
from tests.factories import PASSWORD, RunFactory, UserFactory, course_with_modules
from tests.materials.conftest import add_file

EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def assert_security_headers(response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{name} on {response.request.path}"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def test_the_policy_forbids_inline_script_and_framing():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


@pytest.fixture
def course(db):
    course = course_with_modules(modules=1, runs_per_module=1, slug="eip-headers")
    db.session.commit()
    return course


@pytest.mark.parametrize(
    ("path", "status", "content_type"),
    [
        ("/", 200, "text/html"),
        ("/courses/eip-headers", 200, "text/html"),
        ("/healthz", 200, "application/json"),
        ("/api/v1/courses/eip-headers", 200, "application/json"),
        ("/courses/eip-headers/calendar.ics", 200, "text/calendar"),
        ("/no-such-page", 404, "text/html"),
        ("/api/v1/courses/no-such-course", 404, "application/json"),
        ("/static/css/app.css", 200, "text/css"),
    ],
)
def test_every_kind_of_response_carries_the_headers(client, course, path, status, content_type):
    response = client.get(path, buffered=True)
    response.close()
    assert response.status_code == status
    assert response.mimetype == content_type
    assert_security_headers(response)


def test_a_method_not_allowed_page_carries_the_headers(client):
    response = client.get("/account/logout")  # sign-out is POST only
    assert response.status_code == 405
    assert_security_headers(response)


def test_a_material_download_carries_the_headers(client, db, course):
    material = add_file(course.modules[0], filename="Bài giảng.pdf")
    db.session.commit()
    response = client.get(f"/materials/{material.id}/download", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert_security_headers(response)


def test_hsts_only_over_https(client):
    plain = client.get("/", base_url="http://localhost")
    assert "Strict-Transport-Security" not in plain.headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert secure.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_behind_a_proxy_the_forwarded_scheme_counts_only_when_configured(database_url, tmp_path):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    for proxies, expect_hsts in ((0, False), (1, True)):
        config = TestConfig(database_url, tmp_path / f"instance-{proxies}")
        config.PROXY_FIX = proxies
        app = create_app(config)
        response = app.test_client().get("/healthz", headers=forwarded)
        with app.app_context():
            extensions.db.engine.dispose()
        assert response.status_code == 200
        assert ("Strict-Transport-Security" in response.headers) is expect_hsts


# -- cookies ---------------------------------------------------------------------


def set_cookie_headers(response, name: str) -> list[str]:
    return [value for value in response.headers.getlist("Set-Cookie") if value.startswith(name + "=")]


@pytest.mark.config(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
def test_cookies_are_httponly_samesite_and_secure_over_https(client, db):
    UserFactory(email="an@example.org", full_name="Trần Thị An")
    # The Secure session cookie (holding the CSRF token) only travels over HTTPS.
    token = client.csrf_token("https://localhost/account/login")
    response = client.post(
        "https://localhost/account/login",
        data={"csrf_token": token, "email": "an@example.org", "password": PASSWORD, "remember": "y"},
        headers={"Referer": "https://localhost/account/login"},  # checked over HTTPS
    )
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        (cookie,) = set_cookie_headers(response, name)
        flags = {flag.strip().split("=")[0].lower(): flag for flag in cookie.split(";")[1:]}
        assert "httponly" in flags, cookie
        assert flags["samesite"].strip() == "SameSite=Lax", cookie
        assert "secure" in flags, cookie


def test_cookies_are_not_marked_secure_on_plain_http(client, db):
    response = client.get("/account/login")
    (cookie,) = set_cookie_headers(response, "session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_https_setting_turns_on_secure_cookies(monkeypatch, tmp_path):
    from lms.config import Config

    monkeypatch.setenv("LMS_SECRET_KEY", "x" * 40)
    monkeypatch.delenv("LMS_BASE_URL", raising=False)
    monkeypatch.setenv("LMS_HTTPS", "1")
    config = Config(tmp_path)
    assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
    monkeypatch.setenv("LMS_HTTPS", "0")
    assert not Config(tmp_path).SESSION_COOKIE_SECURE


# -- sessions --------------------------------------------------------------------


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else ""


@pytest.fixture
def learner(db):
    user = UserFactory(email="hoa@example.org", full_name="Lê Thị Hoa")
    RunFactory()
    db.session.commit()
    return user


def test_sign_in_starts_a_new_session(client, learner):
    client.get("/account/login?lang=en")
    before = session_cookie(client)
    assert before, "a guest who chose a language has a session"
    client.sign_in("hoa@example.org")
    after = session_cookie(client)
    assert after and after != before
    # What a guest put in the session before signing in (other than the language) is gone.
    profile = client.get("/account/profile")
    assert profile.status_code == 200
    assert "Lê Thị Hoa" in profile.get_data(as_text=True)


def replay(app, cookie_value: str):
    """Another browser presenting a copied session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie_value)
    return other.get("/account/profile")


def test_an_old_session_cookie_is_refused_after_sign_out(app, client, learner):
    client.sign_in("hoa@example.org")
    stolen = session_cookie(client)
    assert replay(app, stolen).status_code == 200  # the copy works while signed in

    client.submit("/account/logout", {})
    assert client.get("/account/profile").status_code == 302
    response = replay(app, stolen)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_an_old_remember_cookie_is_refused_after_sign_out(app, client, learner):
    client.submit("/account/login", {"email": "hoa@example.org", "password": PASSWORD, "remember": "y"})
    remembered = client.get_cookie("remember_token").value
    client.submit("/account/logout", {})
    other = app.test_client()
    other.set_cookie("remember_token", remembered)
    assert other.get("/account/profile").status_code == 302


def test_an_old_session_cookie_is_refused_after_a_password_change(app, client, learner):
    client.sign_in("hoa@example.org")
    stolen = session_cookie(client)
    response = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "password": "a-new-long-password", "confirm": "a-new-long-password"},
    )
    assert "/account/profile" in response.request.path
    assert client.get("/account/profile").status_code == 200  # this browser goes on
    assert replay(app, stolen).status_code == 302


def test_a_nul_character_anywhere_is_refused_and_nothing_is_saved(client, db, learner):
    """PostgreSQL cannot store NUL in text (the fuzz test found a 500 on the profile
    form); SQLite would store it. Either way no person types one: the request is refused."""
    client.sign_in("hoa@example.org")
    profile = {"full_name": "Lê\x00Thị Hoa", "organisation_type": "enterprise", "province": "ha-noi",
               "gender": "female", "locale": "vi", "timezone": "Asia/Ho_Chi_Minh"}  # fmt: skip
    assert client.submit("/account/profile", profile, follow_redirects=False).status_code == 400
    assert client.submit("/account/profile\x00", {}, follow_redirects=False).status_code in (400, 404)
    assert client.get("/api/v1/courses/eip%00").status_code == 400
    assert client.get("/courses/eip?lang=%00").status_code == 400
    db.session.refresh(learner)
    assert learner.full_name == "Lê Thị Hoa"
    assert client.submit("/account/profile", {**profile, "full_name": "Lê Thị Hoà"}).status_code == 200
    db.session.refresh(learner)
    assert learner.full_name == "Lê Thị Hoà"
