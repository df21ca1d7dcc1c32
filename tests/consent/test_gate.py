"""A newly published notice version: signed-in learners read and accept it before they
do anything else; signing out, their data and deletion pages, the notice and static
files stay reachable."""

from __future__ import annotations

import pytest

from lms.consent.services import publish_notice
from tests.consent.conftest import consent_rows
from tests.factories import UserFactory

REACCEPT = "/account/privacy-notice"


@pytest.fixture
def new_version(db, learner):
    notice = publish_notice(
        {"vi": "## Phiên bản 2\n\nNội dung mới.", "en": "## Version 2\n\nNew text."}, None
    )
    db.session.commit()
    return notice


def test_before_a_new_version_nothing_stops_the_learner(client, db, learner):
    client.sign_in(learner.email)
    assert client.get("/my/schedule").status_code == 200


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/my/schedule"),
        ("GET", "/account/profile"),
        ("GET", "/"),  # the catalogue (an address that is no page answers 404 first)
        ("GET", "/courses/eip-test/register"),
        ("POST", "/account/profile"),
        ("POST", "/courses/eip-test/register"),
    ],
)
def test_every_other_page_leads_to_the_new_version_first(
    client, db, learner, course, new_version, method, path
):
    client.sign_in(learner.email)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data={"csrf_token": client.csrf_token(REACCEPT)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(REACCEPT)
    if method == "GET":  # back where they were going, once accepted
        assert "next=" in response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    [
        REACCEPT,
        "/account/data",
        "/account/delete",
        "/privacy",
        "/privacy/1",
        "/static/css/app.css",
        "/healthz",
    ],
)
def test_the_open_pages_are_not_redirected(client, db, learner, new_version, path):
    client.sign_in(learner.email)
    with client.get(path) as response:  # closes a static file's stream
        assert not response.headers.get("Location", "").startswith(REACCEPT)
        # /account/delete belongs to the privacy-rights feature: 404 until it is merged
        assert response.status_code in ((404, 200) if path == "/account/delete" else (200,))


def test_signing_out_is_not_redirected(client, db, learner, new_version):
    client.sign_in(learner.email)
    response = client.post("/account/logout", data={"csrf_token": client.csrf_token(REACCEPT)})
    assert response.headers["Location"].endswith("/courses") or response.status_code == 302
    assert not response.headers["Location"].startswith(REACCEPT)
    assert client.get("/my/schedule").status_code == 302  # signed out: to the sign-in page
    assert "/account/login" in client.get("/my/schedule").headers["Location"]


def test_the_page_shows_the_new_text_and_nothing_ticked(client, db, learner, new_version):
    client.sign_in(learner.email)
    html = client.get(REACCEPT + "?lang=en").get_data(as_text=True)
    assert "<h2>Version 2</h2>" in html and "New text." in html
    assert 'name="consent"' in html and "checked" not in html


def test_accepting_without_taking_part_is_refused_and_the_gate_stays(client, db, learner, new_version):
    client.sign_in(learner.email)
    token = client.csrf_token(REACCEPT)
    response = client.post(REACCEPT + "?lang=en", data={"csrf_token": token, "consent": ["recordings"]})
    assert "Please tick the box to agree" in response.get_data(as_text=True)
    assert consent_rows(db, learner) == [("course", 1, "signup", False)]
    assert client.get("/my/schedule").headers["Location"].startswith(REACCEPT)


def test_accepting_records_the_new_version_and_lets_the_learner_go_on(client, db, learner, new_version):
    client.sign_in(learner.email)
    token = client.csrf_token(REACCEPT)
    response = client.post(
        REACCEPT, data={"csrf_token": token, "consent": ["course", "donor_sharing"], "next": "/my/schedule"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/my/schedule"
    assert consent_rows(db, learner) == [
        ("course", 1, "signup", False),
        ("course", 2, "reacceptance", False),
        ("donor_sharing", 2, "reacceptance", False),
    ]
    assert client.get("/my/schedule").status_code == 200


def test_a_foreign_next_is_not_followed(client, db, learner, new_version):
    client.sign_in(learner.email)
    token = client.csrf_token(REACCEPT)
    response = client.post(
        REACCEPT, data={"csrf_token": token, "consent": ["course"], "next": "//evil.example.org/"}
    )
    assert response.headers["Location"] == "/account/profile"


def test_organisers_and_trainers_are_not_stopped(client, db, learner, new_version):
    organiser = UserFactory(roles=["organiser"])
    db.session.commit()
    client.sign_in(organiser.email)
    assert client.get("/organise/privacy").status_code == 200
