"""Registering, My schedule, switching and cancelling through the web pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.enrollment import services
from lms.enrollment.models import ChoiceStatus, Registration, RunChoice
from tests.enrollment.conftest import assert_seat_counters_match, picks, runs_of
from tests.factories import UserFactory, course_with_modules, hold
from tests.helpers import count_queries, page_text


def form_for(course, *keys, wait=()) -> dict:
    """What the registration form posts for these run keys (e.g. "m1a")."""
    runs = runs_of(course)
    data = {"confirm_profile": "y", "consent": "course"}
    for key in keys:
        run = runs[key]
        data[f"module-{run.module_id}"] = f"{'wait' if key in wait else 'run'}-{run.id}"
    return data


@pytest.fixture
def learner(db):
    return UserFactory(email="hanh@example.org", full_name="Vũ Thị Hạnh", locale="vi")


def test_registration_needs_sign_in(client, course):
    response = client.get("/courses/eip-test/register")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_registration_form_shows_runs_seats_and_profile(client, course, learner):
    client.sign_in(learner.email)
    text = page_text(client.get("/courses/eip-test/register?lang=vi"))
    assert "Vũ Thị Hạnh" in text  # the profile to confirm
    assert text.count('type="radio"') == 4
    assert "Còn 3 chỗ" in text


def test_register_through_the_form_then_see_my_schedule(client, course, learner, db):
    client.sign_in(learner.email)
    response = client.submit("/courses/eip-test/register?lang=en", form_for(course, "m1a", "m2b"))
    assert response.request.path == "/my/schedule"
    text = page_text(response)
    assert "You are registered." in text
    assert text.count("Confirmed") == 2
    assert "Run A" in text and "Run B" in text
    assert_seat_counters_match(course)


def test_a_post_after_the_deadline_is_refused_whatever_the_page_showed(client, course, learner, db):
    client.sign_in(learner.email)
    token = client.csrf_token("/courses/eip-test/register")
    course.registration_closes_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    response = client.post(
        "/courses/eip-test/register?lang=en", data={"csrf_token": token, **form_for(course, "m1a", "m2a")}
    )
    assert "Registration for this course is closed, so nothing was saved." in page_text(response)
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_a_missing_choice_keeps_the_other_choices_on_the_page(client, course, learner, db):
    client.sign_in(learner.email)
    text = page_text(client.submit("/courses/eip-test/register?lang=en", form_for(course, "m1b")))
    assert "Please choose a run for module 2." in text
    assert re.search(rf'value="run-{runs_of(course)["m1b"].id}"\s+checked', text)
    assert len(re.findall(r'type="radio"[^>]*\bchecked\b', text)) == 1
    assert db.session.scalar(select(func.count(RunChoice.id))) == 0


def test_a_tampered_run_of_another_course_changes_nothing(client, course, learner, db):
    other = course_with_modules(1, 1, slug="other")
    client.sign_in(learner.email)
    data = form_for(course, "m1a", "m2a")
    data[f"module-{runs_of(course)['m1a'].module_id}"] = f"run-{other.modules[0].runs[0].id}"
    text = page_text(client.submit("/courses/eip-test/register?lang=en", data))
    assert "does not belong to it" in text
    assert db.session.scalar(select(func.count(RunChoice.id))) == 0


def test_registration_without_csrf_token_is_refused(client, course, learner, db):
    client.sign_in(learner.email)
    response = client.post("/courses/eip-test/register", data=form_for(course, "m1a", "m2a"))
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(RunChoice.id))) == 0


def test_a_double_submit_registers_once(client, course, learner, db):
    client.sign_in(learner.email)
    client.submit("/courses/eip-test/register", form_for(course, "m1a", "m2a"))
    response = client.submit("/courses/eip-test/register?lang=en", form_for(course, "m1b", "m2b"))
    assert response.request.path == "/my/schedule"
    assert "You are already registered" in page_text(response)
    assert db.session.scalar(select(func.count(RunChoice.id))) == 2
    assert_seat_counters_match(course)


def test_a_full_run_is_offered_as_a_waiting_list(client, course, learner, db):
    runs = runs_of(course)
    runs["m1a"].taken = runs["m1a"].capacity  # seats given out (counter only, for the page)
    db.session.commit()
    client.sign_in(learner.email)
    text = page_text(client.get("/courses/eip-test/register?lang=en"))
    assert f'value="wait-{runs["m1a"].id}"' in text
    assert "join the waiting list" in text


def test_the_form_counts_who_waits_only_for_full_runs(app, client, course, learner, db):
    runs = runs_of(course)
    client.sign_in(learner.email)
    with count_queries(app) as counter:
        assert client.get("/courses/eip-test/register?lang=en").status_code == 200
    assert not any("run_choice" in statement for statement in counter.statements)  # none is full
    runs["m1a"].taken = runs["m1a"].capacity
    for index in range(2):
        hold(UserFactory(email=f"waits{index}@example.org"), runs["m1a"], ChoiceStatus.WAITING)
    db.session.commit()
    with count_queries(app) as counter:
        text = page_text(client.get("/courses/eip-test/register?lang=en"))
    assert "(2 waiting before you)" in text
    [waiting] = [statement for statement in counter.statements if "run_choice" in statement]
    assert "count" in waiting.lower()


def test_switch_and_cancel_from_my_schedule(client, course, learner, db):
    registration, _ = services.register(learner, course, picks(course, "m1a", "m2a"), accepted_privacy=True)
    db.session.commit()
    client.sign_in(learner.email)
    text = page_text(client.get("/my/schedule?lang=en"))
    assert "Switch to Run B" in text
    response = client.submit(
        f"/my/registrations/{registration.id}/switch?lang=en", {"run_id": runs_of(course)["m1b"].id}
    )
    assert "you have a seat in the new run" in page_text(response)
    assert_seat_counters_match(course)

    response = client.submit(f"/my/registrations/{registration.id}/cancel?lang=en", {"confirm": ""})
    assert "Please tick the box" in page_text(response)
    response = client.submit(f"/my/registrations/{registration.id}/cancel?lang=en", {"confirm": "y"})
    assert "Your registration is cancelled" in page_text(response)
    assert_seat_counters_match(course)
    assert all(run.taken == 0 for run in runs_of(course).values())


def test_another_learner_cannot_touch_my_registration(client, course, learner, db):
    registration, _ = services.register(learner, course, picks(course, "m1a", "m2a"), accepted_privacy=True)
    UserFactory(email="intruder@example.org")
    db.session.commit()
    client.sign_in("intruder@example.org")
    assert client.submit(f"/my/registrations/{registration.id}/cancel", {"confirm": "y"}).status_code == 404
    assert (
        client.submit(
            f"/my/registrations/{registration.id}/switch", {"run_id": runs_of(course)["m1b"].id}
        ).status_code
        == 404
    )
    db.session.refresh(registration)
    assert registration.is_active


def test_join_link_only_near_the_start(client, course, learner, db):
    runs = runs_of(course)
    services.register(learner, course, picks(course, "m1a", "m2a"), accepted_privacy=True)
    db.session.commit()
    client.sign_in(learner.email)
    assert f"/join/{runs['m1a'].id}" not in client.get("/my/schedule").get_data(as_text=True)
    runs["m1a"].starts_at = datetime.now(UTC) + timedelta(minutes=20)
    runs["m1a"].ends_at = runs["m1a"].starts_at + timedelta(hours=2)
    db.session.commit()
    page = client.get("/my/schedule").get_data(as_text=True)
    assert f"/join/{runs['m1a'].id}" in page  # the platform's address, never the video link
    assert "meet.example.org" not in page


def test_course_page_invites_to_register_or_shows_registration(client, course, learner, db):
    assert "Register and choose your sessions" in page_text(client.get("/courses/eip-test?lang=en"))
    services.register(learner, course, picks(course, "m1a", "m2a"), accepted_privacy=True)
    db.session.commit()
    client.sign_in(learner.email)
    assert "You are registered for this course." in page_text(client.get("/courses/eip-test?lang=en"))


def test_seats_page_is_for_organisers_and_raising_capacity_promotes(client, course, learner, db):
    runs = runs_of(course)
    fillers = [UserFactory() for _ in range(3)]
    for filler in fillers:
        services.register(filler, course, picks(course, "m1a", "m2b"), accepted_privacy=True)
    services.register(learner, course, picks(course, "m1a", "m2a", wait=("m1a",)), accepted_privacy=True)
    UserFactory(email="boss@example.org", roles=["organiser"])
    db.session.commit()

    client.sign_in(learner.email)
    assert client.get("/organise/courses/eip-test/runs").status_code == 403
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})

    client.sign_in("boss@example.org")
    text = page_text(client.get("/organise/courses/eip-test/runs?lang=en"))
    assert "Vũ Thị Hạnh" in text and "Waiting" in text
    assert "3 / 3" in text
    response = client.submit(f"/organise/runs/{runs['m1a'].id}/capacity?lang=en", {"capacity": 4})
    assert "1 people were moved" in page_text(response)
    choice = db.session.scalar(
        select(RunChoice).where(RunChoice.user_id == learner.id, RunChoice.run_id == runs["m1a"].id)
    )
    assert choice.status == ChoiceStatus.CONFIRMED
    response = client.submit(f"/organise/runs/{runs['m1a'].id}/capacity?lang=en", {"capacity": 1})
    assert "cannot be lower" in page_text(response)
    assert_seat_counters_match(course)


@pytest.mark.parametrize("page", ["/my/schedule", "/courses/{slug}/register"])
def test_enrollment_pages_make_a_fixed_number_of_queries(app, client, db, page):
    learner = UserFactory(email="q@example.org")
    db.session.commit()
    client.sign_in("q@example.org")

    def queries_for(modules: int) -> int:
        course = course_with_modules(modules, 2, registration_closes_at=datetime.now(UTC) + timedelta(days=3))
        if page == "/my/schedule":
            choice = {module.id: services.Pick(module.runs[0].id) for module in course.modules}
            services.register(learner, course, choice, accepted_privacy=True)
            db.session.commit()
        with count_queries(app) as counter:
            assert client.get(page.format(slug=course.slug)).status_code == 200
        return counter.count

    small = queries_for(2)
    if page == "/my/schedule":  # a fresh learner per size, so each page shows one course
        learner = UserFactory(email="q2@example.org")
        db.session.commit()
        client.post("/account/logout", data={"csrf_token": client.csrf_token()})
        client.sign_in("q2@example.org")
    assert queries_for(12) == small
