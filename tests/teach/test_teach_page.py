"""Teaching (/teach): the trainer's runs, sheets, check-in codes, materials, quizzes,
essays waiting and messages; trainers and organisers only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lms.attendance import checkin
from lms.quizzes import services as quizzes
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory, hold
from tests.helpers import page_text
from tests.quizzes.conftest import ESSAY, QUESTIONS, make_quiz


def test_teaching_lists_the_trainers_runs_with_what_to_do(client, db):
    now = datetime.now(UTC).replace(microsecond=0)
    course = CourseFactory(slug="eip-teach", title={"vi": "Khoá EIP", "en": "EIP course"})
    module = ModuleFactory(
        course=course, key="m1", position=1, title={"vi": "Học phần một", "en": "Module one"}
    )
    trainer = UserFactory(email="trainer@example.org", roles=["trainer"], locale="en")
    on_now = RunFactory(module=module, key="a", label={"vi": "Lớp sáng", "en": "Morning"},
                        starts_at=now - timedelta(minutes=20), trainers=[trainer])  # fmt: skip
    past = RunFactory(module=module, key="p", label={"vi": "Lớp cũ", "en": "Earlier"},
                      starts_at=now - timedelta(days=9), trainers=[trainer])  # fmt: skip
    RunFactory(module=module, key="x", label={"vi": "Lớp khác", "en": "Someone else's"})
    learner = UserFactory()
    hold(learner, on_now)
    quiz = make_quiz(module, [*QUESTIONS, ESSAY], shuffle_questions=False, attempts_allowed=1)
    db.session.add(quiz)
    db.session.flush()
    quizzes.submit_attempt(quizzes.start_attempt(quiz, learner), learner)
    db.session.commit()

    client.sign_in("trainer@example.org")
    response = client.get("/teach?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert "Morning" in text and "Earlier" in text and "Someone else" not in text
    assert (
        text.index("Upcoming sessions")
        < text.index("Morning")
        < text.index("Past sessions")
        < text.index("Earlier")
    )
    assert "1 seat taken of 20" in text
    assert checkin.current_code(on_now, datetime.now(UTC)) in text
    assert f"/teach/runs/{on_now.id}/attendance" in html and f"/teach/runs/{past.id}/attendance" in html
    assert "/manage/courses/eip-teach/modules/m1/materials" in html
    assert f"/teach/quizzes/{quiz.id}" in html and "1 essay to grade" in text
    assert "/organise/courses/eip-teach/messages" in html
    assert 'href="/teach"' in html  # in the menu
    assert "Giảng dạy" in page_text(client.get("/teach?lang=vi"))


def test_teaching_is_for_trainers_and_organisers(client, db):
    UserFactory(email="learner@example.org")
    UserFactory(email="organiser@example.org", roles=["organiser"])
    assert "/account/login" in client.get("/teach").headers["Location"]
    client.sign_in("learner@example.org")
    assert client.get("/teach").status_code == 403
    assert 'href="/teach"' not in client.get("/my/schedule").get_data(as_text=True)
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in("organiser@example.org")
    assert "You teach no session yet" in page_text(client.get("/teach?lang=en"))
