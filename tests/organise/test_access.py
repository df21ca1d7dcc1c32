"""Only organisers reach the set-up pages: trainers and learners get 403, guests the
sign-in page, a form without its CSRF token changes nothing. Pages make a fixed
number of queries however large the edition."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.catalogue.models import Course, Module, Run
from tests.factories import UserFactory, course_with_modules
from tests.helpers import count_queries
from tests.organise.conftest import course_form, run_form, shown

PAGES = [
    "/organise/courses",
    "/organise/courses/new",
    "/organise/courses/eip-test",
    "/organise/courses/eip-test/settings",
    "/organise/courses/eip-test/copy",
    "/organise/courses/eip-test/modules/new",
    "/organise/courses/eip-test/modules/m1",
    "/organise/courses/eip-test/modules/m1/runs/new",
    "/organise/runs/{run}",
    "/organise/runs/{run}/cancel",
]
POSTS = [page for page in PAGES if page not in ("/organise/courses", "/organise/courses/eip-test")] + [
    "/organise/courses/eip-test/modules/m1/move"
]


def paths(edition, pages) -> list[str]:
    return [page.format(run=edition.run("m1a").id) for page in pages]


@pytest.mark.parametrize("who", ["trainer", "learner"])
def test_trainers_and_learners_are_refused_every_page(client, db, edition, who):
    person = edition.trainer if who == "trainer" else edition.learner_vi  # the trainer teaches this course
    client.sign_in(person.email)
    for path in paths(edition, PAGES):
        assert client.get(path).status_code == 403, path
    token = client.csrf_token()
    for path in paths(edition, POSTS):
        assert client.post(path, data={"csrf_token": token, "direction": "up"}).status_code == 403, path
    assert "Organise" not in shown(client.get("/my/schedule?lang=en"))


def test_guests_are_sent_to_sign_in(client, db, edition):
    for path in paths(edition, PAGES):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/account/login" in response.headers["Location"]


def test_forms_without_a_csrf_token_change_nothing(client, db, edition):
    client.sign_in(edition.organiser.email)
    run = edition.run("m1a")
    attempts = {
        "/organise/courses/new": course_form(),
        "/organise/courses/eip-test/settings": course_form(slug="eip-test", title_vi="Đổi tên"),
        "/organise/courses/eip-test/copy": {"slug": "eip-2031", "starts_on": "2031-01-07"},
        "/organise/courses/eip-test/modules/new": {"key": "m3", "title_vi": "Mới", "position": "3", "duration_minutes": "60"},
        "/organise/courses/eip-test/modules/m2/move": {"direction": "up"},
        "/organise/courses/eip-test/modules/m1/runs/new": run_form(),
        f"/organise/runs/{run.id}": run_form(),
        f"/organise/runs/{run.id}/cancel": {"reason_vi": "Lý do", "confirm": "y"},
    }  # fmt: skip
    for path, data in attempts.items():
        response = client.post(path + "?lang=en", data=data)
        assert response.status_code == 400, path
        assert "This form has expired or was not sent from our site" in shown(response)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Course.id))) == 1
    assert db.session.scalar(select(func.count(Module.id))) == 2
    assert db.session.scalar(select(func.count(Run.id))) == 4
    assert db.session.scalar(select(Module.key).where(Module.position == 1)) == "m1"
    assert db.session.get(Run, run.id).status == "scheduled"


def test_unknown_editions_modules_and_runs_are_not_found(client, db, edition):
    client.sign_in(edition.organiser.email)
    for path in (
        "/organise/courses/nope",
        "/organise/courses/eip-test/modules/nope",
        "/organise/runs/999999",
    ):
        assert client.get(path).status_code == 404, path


def test_an_organiser_finds_the_set_up_pages_from_the_menu(client, db, edition):
    client.sign_in(edition.organiser.email)
    menu = shown(client.get("/my/schedule?lang=en"))
    assert '<a href="/organise/courses">Organise</a>' in menu
    assert "Khóa học eip-test" in shown(client.get("/organise/courses?lang=vi"))


@pytest.mark.parametrize("page", ["/organise/courses", "/organise/courses/{slug}"])
def test_set_up_pages_make_a_fixed_number_of_queries(app, client, db, page):
    UserFactory(email="boss@example.org", roles=["organiser"])
    db.session.commit()
    client.sign_in("boss@example.org")

    def queries_for(modules: int) -> int:
        course = course_with_modules(modules, 2)
        trainer = UserFactory(roles=["trainer"])
        for run in course.runs:
            run.trainers = [trainer]
        db.session.commit()
        with count_queries(app) as counter:
            assert client.get(page.format(slug=course.slug)).status_code == 200
        return counter.count

    assert queries_for(2) == queries_for(10)
