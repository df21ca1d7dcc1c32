"""Pre-tests: open from registration until the learner's run starts, made from the
quiz's questions, and never counting for completion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.attendance import services as attendance
from lms.attendance.models import AttendanceStatus
from lms.completion.edition import quiz_modules, quiz_outcomes
from lms.completion.progress import progress as progress_of
from lms.enrollment.models import Registration
from lms.errors import ServiceError
from lms.quizzes import services
from lms.quizzes.models import AttemptStatus, QuizPurpose
from tests.factories import CourseFactory, ModuleFactory, UserFactory, hold
from tests.helpers import page_text
from tests.quizzes.conftest import ALL_RIGHT, form_values


@pytest.fixture
def pretest_setting(db, setting):
    """The quiz setting plus a pre-test made from the quiz; a second learner whose run
    (run b) starts in two days."""
    course, module, quiz, learner = setting
    organiser = UserFactory(roles=["organiser"])
    pretest = services.create_pretest(module, organiser)
    later = UserFactory(email="minh@example.org")
    hold(later, module.runs[1])
    db.session.commit()
    return course, module, quiz, pretest, learner, later, organiser


def registered_at(db, user, course):
    return db.session.scalar(
        select(Registration.created_at).where(
            Registration.user_id == user.id, Registration.course_id == course.id
        )
    )


def test_the_pretest_copies_the_quiz_questions(db, pretest_setting):
    _, module, quiz, pretest, *_ = pretest_setting
    assert pretest.purpose == QuizPurpose.PRETEST and pretest.module_id == module.id
    assert [q.text for q in pretest.questions] == [q.text for q in quiz.active_questions]
    assert {q.id for q in pretest.questions}.isdisjoint({q.id for q in quiz.questions})
    assert pretest.attempts_allowed == 1
    # Editing a pre-test question leaves the quiz that counts untouched.
    pretest.questions[0].text = {"vi": "Khác", "en": "Other"}
    db.session.flush()
    assert quiz.questions[0].text["en"] == "Which decree institutionalised EIPs?"


def test_a_second_pretest_is_refused(db, pretest_setting):
    _, module, *_, organiser = pretest_setting
    with pytest.raises(ServiceError):
        services.create_pretest(module, organiser)


def test_a_module_without_a_quiz_gets_no_pretest(db):
    module = ModuleFactory(course=CourseFactory(), key="m9", position=1)
    with pytest.raises(ServiceError):
        services.create_pretest(module, UserFactory(roles=["organiser"]))


def test_the_pretest_opens_at_registration_and_closes_when_the_run_starts(db, pretest_setting):
    course, module, _, pretest, _, later, _ = pretest_setting
    registered = registered_at(db, later, course)
    run_start = module.runs[1].starts_at
    assert services.availability(pretest, later, registered - timedelta(seconds=1)).state == "not_open_yet"
    assert services.availability(pretest, later, registered).state == "open"
    assert services.availability(pretest, later, run_start - timedelta(minutes=1)).state == "open"
    state = services.availability(pretest, later, run_start + timedelta(seconds=1))
    assert state.state == "closed" and state.closes_at == run_start


def test_the_pretest_is_closed_for_a_learner_whose_run_has_started(db, pretest_setting):
    _, _, _, pretest, learner, _, _ = pretest_setting
    with pytest.raises(ServiceError, match=r"pre-test|kiểm tra đầu vào"):
        services.start_attempt(pretest, learner)


def test_without_a_seat_the_pretest_closes_at_the_modules_first_run(db, pretest_setting):
    course, module, _, pretest, *_ = pretest_setting
    first = module.runs[0]  # started an hour ago; run b starts in two days
    seatless = UserFactory()
    db.session.add(Registration(user=seatless, course=course, privacy_accepted_at=first.starts_at))
    db.session.flush()
    state = services.availability(
        pretest, seatless, registered_at(db, seatless, course) + timedelta(minutes=1)
    )
    assert (state.state, state.closes_at) == ("closed", first.starts_at)


def test_an_attempt_started_before_the_run_is_submitted_when_the_run_starts(db, pretest_setting):
    _, module, _, pretest, _, later, _ = pretest_setting
    run_start = module.runs[1].starts_at
    attempt = services.start_attempt(pretest, later, now=run_start - timedelta(minutes=5))
    assert attempt.deadline_at == run_start
    assert services.expire_if_due(attempt, run_start + timedelta(seconds=1))
    assert attempt.status != AttemptStatus.IN_PROGRESS


def test_a_passed_pretest_never_counts_for_completion(db, pretest_setting):
    course, module, quiz, pretest, _, later, organiser = pretest_setting
    attempt = services.start_attempt(pretest, later, now=module.runs[1].starts_at - timedelta(hours=1))
    services.save_answers(attempt, later, form_values(attempt, ALL_RIGHT), now=attempt.started_at)
    services.submit_attempt(attempt, later, now=attempt.started_at)
    attendance.mark(module.runs[1], later.id, attendance.Mark(AttendanceStatus.PRESENT, 120), organiser)
    db.session.commit()
    assert attempt.passed
    progress = progress_of(later, course)
    assert progress.modules[0].has_quiz and not progress.modules[0].quiz_passed
    assert not progress.complete
    assert quiz_modules(course) == {module.id: quiz.id}
    assert (later.id, module.id) not in quiz_outcomes(course)


def test_learners_find_the_open_pretest_on_my_schedule_and_the_module_page(db, client, pretest_setting):
    course, module, _, _, learner, later, _ = pretest_setting
    client.sign_in(later.email)
    schedule = page_text(client.get("/my/schedule?lang=en"))
    assert f"/courses/{course.slug}/modules/{module.key}/pretest" in schedule
    assert "Pre-tests to take before your runs" in schedule
    assert "/pretest" in page_text(client.get(f"/courses/{course.slug}/modules/{module.key}?lang=en"))
    overview = page_text(client.get(f"/courses/{course.slug}/modules/{module.key}/pretest?lang=en"))
    assert "Start the pre-test" in overview and "does not count for completion" in overview
    # Its attempt taken, or for a learner whose run has started, it is gone from My schedule.
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in(learner.email)
    assert "/pretest" not in page_text(client.get("/my/schedule?lang=en"))
    overview = page_text(client.get(f"/courses/{course.slug}/modules/{module.key}/pretest?lang=en"))
    assert "The pre-test closed when your run of this module started." in overview


def test_an_organiser_adds_a_pretest_from_the_set_up_page(db, client, setting):
    course, module, quiz, _ = setting
    organiser = UserFactory(roles=["organiser"])
    db.session.commit()
    client.sign_in(organiser.email)
    assert "Add a pre-test" in page_text(client.get(f"/organise/courses/{course.slug}?lang=en"))
    response = client.submit(f"/teach/modules/{module.id}/pretest", {}, follow_redirects=False)
    pretest = services.quiz_for(course, module.key, QuizPurpose.PRETEST)
    assert response.headers["Location"].endswith(f"/teach/quizzes/{pretest.id}")
    assert len(pretest.questions) == len(quiz.active_questions)
    again = client.submit(f"/teach/modules/{module.id}/pretest", {})
    assert "already has a pre-test" in page_text(again)
