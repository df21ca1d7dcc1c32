"""Signing up, signing in and out, and the profile."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.helpers import page_text

SIGNUP = {
    "email": "Thu.Trang@Example.org",
    "password": "a-long-enough-password",
    "confirm": "a-long-enough-password",
    "full_name": "Lê Thị Thu Trang",
    "organisation": "Công ty TNHH Xanh",
    "organisation_type": "enterprise",
    "job_title": "Kỹ sư môi trường",
    "province": "dong-nai",
    "gender": "female",
    "locale": "vi",
    "timezone": "Asia/Ho_Chi_Minh",
    "consent": "course",
}


def test_sign_up_creates_a_learner_and_signs_them_in(client, app, db):
    response = client.submit("/account/signup", SIGNUP)
    assert response.request.path == "/account/profile"
    text = page_text(response)
    assert "Lê Thị Thu Trang" in text
    assert "thu.trang@example.org" in text
    user = db.session.scalar(select(User).where(User.email == "thu.trang@example.org"))
    assert user.role_names == {"learner"}
    assert user.organisation_type == "enterprise"
    assert user.province == "dong-nai"
    assert user.password_hash.startswith("$argon2")
    assert "a-long-enough-password" not in user.password_hash


def test_sign_up_with_a_taken_email_is_refused_and_keeps_the_form(client, db):
    UserFactory(email="thu.trang@example.org")
    response = client.submit("/account/signup?lang=en", SIGNUP)
    text = page_text(response)
    assert "An account with this email already exists" in text
    assert 'value="Lê Thị Thu Trang"' in text  # nothing typed is lost
    assert db.session.scalar(select(User).where(User.full_name == "Lê Thị Thu Trang")) is None


def test_sign_up_needs_the_privacy_notice_and_matching_passwords(client, db):
    data = {key: value for key, value in SIGNUP.items() if key != "consent"}
    data["confirm"] = "something-else-entirely"
    text = page_text(client.submit("/account/signup?lang=en", data))
    assert "The two passwords do not match." in text
    assert "Please tick the box to agree that your details are used to take part" in text
    assert db.session.scalar(select(User)) is None


def test_sign_up_refuses_a_short_password_in_vietnamese(client):
    data = {**SIGNUP, "password": "short", "confirm": "short"}
    assert "ít nhất 10 ký tự" in page_text(client.submit("/account/signup?lang=vi", data))


def test_sign_in_with_the_right_password(client, db):
    UserFactory(email="hoa@example.org", full_name="Trần Thị Hoa")
    response = client.submit("/account/login", {"email": "HOA@example.org", "password": PASSWORD})
    assert response.request.path == "/account/profile"
    assert "Trần Thị Hoa" in page_text(response)


def test_sign_in_with_a_wrong_password_says_so_without_revealing_the_account(client, db):
    UserFactory(email="hoa@example.org")
    wrong_password = page_text(
        client.submit("/account/login?lang=en", {"email": "hoa@example.org", "password": "nope-nope"})
    )
    unknown_email = page_text(
        client.submit("/account/login?lang=en", {"email": "who@example.org", "password": "nope-nope"})
    )
    assert "The email or password is not correct." in wrong_password
    assert "The email or password is not correct." in unknown_email
    assert client.get("/account/profile").status_code == 302


def test_a_deactivated_account_cannot_sign_in(client, db):
    UserFactory(email="gone@example.org", is_active_account=False)
    text = page_text(
        client.submit("/account/login?lang=en", {"email": "gone@example.org", "password": PASSWORD})
    )
    assert "The email or password is not correct." in text


def test_sign_in_follows_only_local_next_addresses(client, db):
    UserFactory(email="hoa@example.org")
    response = client.submit(
        "/account/login?next=https://evil.example.com/", {"email": "hoa@example.org", "password": PASSWORD}
    )
    assert response.request.path == "/account/profile"
    client.post("/account/logout", data={"csrf_token": client.csrf_token("/account/profile")})
    response = client.submit(
        "/account/login?next=/courses/x",
        {"email": "hoa@example.org", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.headers["Location"] == "/courses/x"


def test_profile_needs_sign_in(client):
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert "/account/login?next=" in response.headers["Location"]


def test_sign_out_is_a_post_and_ends_the_session(client, db):
    UserFactory(email="hoa@example.org")
    client.sign_in("hoa@example.org")
    assert client.get("/account/logout").status_code == 405
    assert client.get("/account/profile").status_code == 200
    token = client.csrf_token("/account/profile")
    client.post("/account/logout", data={"csrf_token": token})
    assert client.get("/account/profile").status_code == 302


def test_session_is_renewed_at_sign_in(client, db):
    UserFactory(email="hoa@example.org")
    client.get("/?lang=en")
    before = client.get_cookie("session").value
    client.sign_in("hoa@example.org")
    assert client.get_cookie("session").value != before
    # The language chosen before signing in survives the new session.
    assert 'lang="en"' in page_text(client.get("/"))


def test_profile_edit_saves_every_field(client, db):
    user = UserFactory(email="hoa@example.org", locale="vi")
    client.sign_in("hoa@example.org")
    data = {
        "full_name": "Trần Thị Hoà",
        "organisation": "Sở Kế hoạch và Đầu tư Cần Thơ",
        "organisation_type": "provincial_government",
        "job_title": "Chuyên viên",
        "province": "can-tho",
        "gender": "undisclosed",
        "locale": "en",
        "timezone": "Europe/Zurich",
    }
    response = client.submit("/account/profile", data)
    assert "Your profile is saved." in page_text(response)
    db.session.refresh(user)
    assert (user.full_name, user.province, user.locale, user.timezone) == (
        "Trần Thị Hoà",
        "can-tho",
        "en",
        "Europe/Zurich",
    )


def test_profile_refuses_a_value_outside_the_lists(client, db):
    user = UserFactory(email="hoa@example.org")
    client.sign_in("hoa@example.org")
    data = {"full_name": "X", "organisation": "Y", "organisation_type": "spy", "province": "atlantis",
            "gender": "female", "locale": "vi", "timezone": "Asia/Ho_Chi_Minh"}  # fmt: skip
    response = client.submit("/account/profile?lang=en", data)
    assert "Not a valid choice" in page_text(response)
    db.session.refresh(user)
    assert user.province == "da-nang"


def test_profile_edit_returns_to_the_page_that_sent_the_learner(client, db):
    UserFactory(email="hoa@example.org")
    client.sign_in("hoa@example.org")
    data = {"full_name": "Trần Thị Hoa", "organisation": "Sở Công Thương", "organisation_type": "provincial_government",
            "job_title": "", "province": "hue", "gender": "female", "locale": "vi", "timezone": "Asia/Ho_Chi_Minh"}  # fmt: skip
    response = client.submit("/account/profile?next=/courses/eip-demo/register", data, follow_redirects=False)
    assert response.headers["Location"] == "/courses/eip-demo/register"
