"""Taking a quiz through the pages: access, no answer key in the HTML, saving, submitting."""

from __future__ import annotations

import re

from lms.quizzes.models import Attempt, Question
from tests.factories import UserFactory
from tests.helpers import count_queries, page_text


def start(client, quiz) -> int:
    response = client.submit(f"/quizzes/{quiz.id}/attempts", {}, follow_redirects=False)
    return int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))


def question_ids(db, attempt_id: int) -> list[int]:
    attempt = db.session.get(Attempt, attempt_id)
    return sorted(answer.question_id for answer in attempt.answers)


def test_overview_for_guest_and_registered_learner(client, setting):
    course, module, _, learner = setting
    url = f"/courses/{course.slug}/modules/{module.key}/quiz?lang=en"
    assert "Only learners registered for this course" in page_text(client.get(url))
    client.sign_in(learner.email)
    text = page_text(client.get(url))
    assert "Start the quiz" in text and "3 attempts left" in text


def test_the_answer_key_never_reaches_the_browser(client, db, setting):
    _, _, quiz, learner = setting
    client.sign_in(learner.email)
    attempt_id = start(client, quiz)
    text = page_text(client.get(f"/attempts/{attempt_id}?lang=en"))
    assert "Which decree institutionalised EIPs?" in text
    assert "correct" not in text.lower()
    assert "industrial symbiosis" not in text  # the accepted short answer
    assert "Decree 35/2022." not in text  # feedback comes after submitting


def test_questions_show_in_the_learners_language_with_fallback(client, db, setting):
    _, _, quiz, learner = setting
    quiz.questions[2].text = {"en": "DEEP C is in Hai Phong."}  # no Vietnamese text
    db.session.commit()
    client.sign_in(learner.email)
    text = page_text(client.get(f"/attempts/{start(client, quiz)}?lang=vi"))
    assert "Nghị định nào thể chế hóa KCNST?" in text
    assert '<span lang="en">DEEP C is in Hai Phong.</span>' in text


def test_save_reload_submit_and_result(client, db, setting):
    _, _, quiz, learner = setting
    client.sign_in(learner.email)
    attempt_id = start(client, quiz)
    ids = question_ids(db, attempt_id)
    client.submit(f"/attempts/{attempt_id}?lang=en", {"action": "save", f"q-{ids[0]}": "a", f"present-{ids[1]}": "1",
                                                        f"q-{ids[3]}": "cộng sinh công nghiệp"})  # fmt: skip
    reloaded = page_text(client.get(f"/attempts/{attempt_id}"))
    assert re.search(rf'name="q-{ids[0]}" value="a"\s+checked', reloaded)
    assert 'value="cộng sinh công nghiệp"' in reloaded
    response = client.submit(f"/attempts/{attempt_id}?lang=en", {"action": "submit", f"q-{ids[2]}": "true"})
    text = page_text(response)
    assert response.request.path.endswith("/result")
    assert "3 / 5" in text and "Not passed" in text
    assert "Decree 35/2022." in text  # feedback shown after submitting (quiz setting)
    again = client.submit(f"/attempts/{attempt_id}?lang=en", {"action": "submit", f"q-{ids[1]}": "a"})
    assert "already submitted" in page_text(again)
    assert db.session.get(Attempt, attempt_id).score == 3.0


def test_autosave_answers_json(client, db, setting):
    _, _, quiz, learner = setting
    client.sign_in(learner.email)
    attempt_id = start(client, quiz)
    ids = question_ids(db, attempt_id)
    token = client.csrf_token()
    response = client.post(
        f"/attempts/{attempt_id}/autosave?lang=en", data={"csrf_token": token, f"q-{ids[0]}": "b"}
    )
    assert response.json == {"saved": True, "message": "Saved"}
    assert (
        client.post(f"/attempts/{attempt_id}/autosave", data={f"q-{ids[0]}": "a"}).status_code == 400
    )  # no CSRF


def test_a_learner_cannot_see_or_change_another_learners_attempt(client, db, setting):
    _, _, quiz, learner = setting
    client.sign_in(learner.email)
    attempt_id = start(client, quiz)
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    UserFactory(email="other@example.org")
    db.session.commit()
    client.sign_in("other@example.org")
    assert client.get(f"/attempts/{attempt_id}").status_code == 404
    assert client.get(f"/attempts/{attempt_id}/result").status_code == 404
    ids = question_ids(db, attempt_id)
    assert (
        client.submit(f"/attempts/{attempt_id}", {"action": "submit", f"q-{ids[0]}": "a"}).status_code == 404
    )
    assert db.session.get(Attempt, attempt_id).is_open


def test_grading_pages_are_for_the_courses_trainers(client, db, setting):
    _, _, quiz, _ = setting
    UserFactory(email="stranger@example.org", roles=["trainer"])
    db.session.commit()
    client.sign_in("stranger@example.org")
    assert client.get(f"/teach/quizzes/{quiz.id}/grading").status_code == 403
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in("teacher@example.org")
    assert "Nothing to grade" in page_text(client.get(f"/teach/quizzes/{quiz.id}/grading?lang=en"))


def test_module_page_links_to_its_quiz(client, setting):
    course, module, _, _ = setting
    text = page_text(client.get(f"/courses/{course.slug}/modules/{module.key}?lang=en"))
    assert f'href="/courses/{course.slug}/modules/{module.key}/quiz"' in text


def test_quiz_pages_make_a_fixed_number_of_queries(app, client, db, setting):
    _, _, quiz, learner = setting
    client.sign_in(learner.email)

    def queries(path: str) -> int:
        with count_queries(app) as counter:
            assert client.get(path).status_code == 200
        return counter.count

    attempt_id = start(client, quiz)
    small = queries(f"/attempts/{attempt_id}")
    client.submit(f"/attempts/{attempt_id}", {"action": "submit"})
    small_result = queries(f"/attempts/{attempt_id}/result")

    for position in range(5, 25):  # five times as many questions
        quiz.questions.append(Question(position=position, kind="true_false", text={"vi": "Đúng?", "en": "True?"},
                                       answer={"value": True}))  # fmt: skip
    db.session.commit()
    attempt_id = start(client, quiz)
    assert queries(f"/attempts/{attempt_id}") == small
    client.submit(f"/attempts/{attempt_id}", {"action": "submit"})
    assert queries(f"/attempts/{attempt_id}/result") == small_result
