"""Trainers write quizzes in the web UI, regrade after fixing a key, and export results."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.quizzes import services
from lms.quizzes.models import Question
from tests.factories import UserFactory
from tests.helpers import page_text
from tests.quizzes.conftest import ALL_RIGHT, form_values

NEW_SINGLE = {
    "text_vi": "KCNST là viết tắt của gì?",
    "text_en": "What does EIP stand for?",
    "points": "1",
    "options_vi": "Khu công nghiệp sinh thái\nKhu chế xuất\nKhu kinh tế",
    "options_en": "Eco-industrial park\nExport processing zone\nEconomic zone",
    "correct": "1",
}


def test_trainer_saves_settings_and_adds_a_question(client, db, setting):
    _, _, quiz, _ = setting
    client.sign_in("teacher@example.org")
    response = client.submit(f"/teach/quizzes/{quiz.id}?lang=en", {
        "title_vi": "Kiểm tra", "title_en": "Check", "pass_mark": "80", "attempts_allowed": "0",
        "time_limit_minutes": "15", "opens_at": "", "closes_at": "2031-01-01 17:00",
        "show_after": "score", "show_when": "immediately",
    })  # fmt: skip
    assert "Quiz settings saved." in page_text(response)
    db.session.refresh(quiz)
    assert (quiz.pass_mark, quiz.attempts_allowed, quiz.time_limit_minutes) == (80, 0, 15)
    # 17:00 in Viet Nam, and the closing minute still counts
    assert quiz.closes_at.isoformat() == "2031-01-01T10:00:59.999999+00:00"
    assert quiz.shuffle_questions is False

    response = client.submit(
        f"/teach/quizzes/{quiz.id}/questions/new/single?lang=en", {**NEW_SINGLE, "correct": "1,2"}
    )
    assert "exactly one correct option" in page_text(response)
    response = client.submit(f"/teach/quizzes/{quiz.id}/questions/new/single?lang=en", NEW_SINGLE)
    assert "Question saved." in page_text(response)
    question = db.session.scalar(select(Question).where(Question.position == 5))
    assert question.options[0] == {
        "key": "a",
        "text": {"vi": "Khu công nghiệp sinh thái", "en": "Eco-industrial park"},
        "correct": True,
    }


def test_invalid_settings_are_refused_with_a_message(client, db, setting):
    _, _, quiz, _ = setting
    client.sign_in("teacher@example.org")
    response = client.submit(f"/teach/quizzes/{quiz.id}?lang=en", {
        "title_vi": "X", "pass_mark": "120", "attempts_allowed": "1", "opens_at": "tomorrow",
        "closes_at": "", "show_after": "score", "show_when": "immediately",
    })  # fmt: skip
    text = page_text(response)
    assert "Enter a percentage from 0 to 100." in text and "Use the form 2023-10-10 09:00." in text
    db.session.refresh(quiz)
    assert quiz.pass_mark == 70


def test_fixing_an_answer_key_offers_a_regrade(client, db, setting):
    _, _, quiz, learner = setting
    attempt = services.start_attempt(quiz, learner)
    services.save_answers(attempt, learner, form_values(attempt, {**ALL_RIGHT, 0: ["b"]}))
    services.submit_attempt(attempt, learner)
    db.session.commit()
    first = quiz.questions[0]
    client.sign_in("teacher@example.org")
    page = page_text(client.get(f"/teach/questions/{first.id}/edit"))
    assert "35/2022/NĐ-CP" in page
    data = {"text_vi": first.text["vi"], "text_en": first.text["en"], "points": "1",
            "options_vi": "35/2022/NĐ-CP\n82/2018/NĐ-CP\nLuật Đầu tư", "options_en": "35/2022/ND-CP\n82/2018/ND-CP\nThe Investment Law",
            "correct": "2"}  # fmt: skip
    response = client.submit(f"/teach/questions/{first.id}/edit?lang=en", data)
    assert response.request.path == f"/teach/quizzes/{quiz.id}/regrade"
    assert "1 submitted answers used the old one" in page_text(response)
    response = client.submit(f"/teach/quizzes/{quiz.id}/regrade?lang=en", {})
    assert "1 attempts changed score" in page_text(response)
    db.session.refresh(attempt)
    assert attempt.percent == 100.0
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quiz_regraded")) is not None


def test_results_and_exports(client, db, setting):
    _, _, quiz, learner = setting
    learner.full_name = "=cmd|' /C calc'!A0"  # a name that tries to be a formula
    attempt = services.start_attempt(quiz, learner)
    services.save_answers(attempt, learner, form_values(attempt, {**ALL_RIGHT, 1: ["a", "c"]}))
    services.submit_attempt(attempt, learner)
    db.session.commit()
    client.sign_in("teacher@example.org")
    text = page_text(client.get(f"/teach/quizzes/{quiz.id}/results?lang=en"))
    assert "Energy + Advertising (1)" in text  # the commonest wrong answer to the multiple choice
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/teach/quizzes/{quiz.id}/results?format=csv&lang=en").data.decode("utf-8-sig")
            )
        )
    )
    assert rows[0][:2] == ["Full name", "Email"]
    assert rows[1][0].startswith("'=") and rows[1][4] == "60.0"
    sheet = load_workbook(io.BytesIO(client.get(f"/teach/quizzes/{quiz.id}/results?format=xlsx").data)).active
    assert sheet["B2"].value == "hoa@example.org" and sheet.freeze_panes == "A2"


def test_authoring_is_refused_to_other_trainers_and_learners(client, db, setting):
    _, _, quiz, learner = setting
    UserFactory(email="stranger@example.org", roles=["trainer"])
    db.session.commit()
    for email in ("stranger@example.org", learner.email):
        client.sign_in(email)
        for url in (
            f"/teach/quizzes/{quiz.id}",
            f"/teach/quizzes/{quiz.id}/results",
            f"/teach/questions/{quiz.questions[0].id}/edit",
        ):
            assert client.get(url).status_code == 403, (email, url)
        client.post("/account/logout", data={"csrf_token": client.csrf_token()})


def test_archiving_a_question_twice_logs_it_once(client, db, setting):
    _, _, quiz, _ = setting
    question = quiz.questions[0]
    client.sign_in("teacher@example.org")
    for _ in range(2):  # a second click, or the button in a second tab
        response = client.submit(f"/teach/questions/{question.id}/archive?lang=en", {})
        assert "The question is removed from new attempts" in page_text(response)
    db.session.refresh(question)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "question_archived")).all()
    assert question.archived and len(events) == 1


def test_a_quiz_closing_at_17_00_takes_answers_until_17_00_59(client, db, setting):
    """The trainer types a closing minute; the settings page shows it back as typed."""
    _, _, quiz, learner = setting
    client.sign_in("teacher@example.org")
    client.submit(f"/teach/quizzes/{quiz.id}?lang=en", {
        "title_vi": "Kiểm tra", "pass_mark": "80", "attempts_allowed": "0", "opens_at": "",
        "closes_at": "2031-01-01 17:00", "show_after": "score", "show_when": "immediately",
    })  # fmt: skip
    page = page_text(client.get(f"/teach/quizzes/{quiz.id}?lang=en"))
    assert "2031-01-01 17:00" in client.get(f"/teach/quizzes/{quiz.id}").get_data(as_text=True)
    assert "The closing minute still counts" in page
    db.session.refresh(quiz)
    viet_nam = ZoneInfo("Asia/Ho_Chi_Minh")
    assert (
        services.availability(quiz, learner, datetime(2031, 1, 1, 17, 0, 59, 999999, viet_nam)).state
        == "open"
    )
    assert (
        services.availability(quiz, learner, datetime(2031, 1, 1, 17, 1, tzinfo=viet_nam)).state == "closed"
    )
