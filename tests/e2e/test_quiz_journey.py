"""A learner answers a quiz in Vietnamese, reloads mid-way, submits and sees the result."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.accounts.services import create_user
from lms.catalogue.models import Course, Module
from lms.consent.models import How, Purpose
from lms.consent.services import give
from lms.db import utcnow
from lms.extensions import db
from lms.quizzes.models import Quiz, QuizPurpose
from tests.factories import hold

pytestmark = pytest.mark.browser


def registered_learner_with_an_open_quiz(app, email: str) -> str:
    """A learner registered for the demo edition, holding a seat in module 5, whose quiz
    the trainer opened early (the shared demo's run times stay as they are)."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "eip-demo"))
        module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.position == 5))
        run = module.runs[1]
        quiz = db.session.scalar(
            select(Quiz).where(Quiz.module_id == module.id, Quiz.purpose == QuizPurpose.MODULE)
        )
        quiz.opens_at = utcnow() - timedelta(hours=1)
        learner = create_user(email, "Lê Văn Tám", password="quiz-learner-password", locale="vi")
        give(learner, [Purpose.COURSE], How.SIGNUP)  # they accepted the notice in force
        hold(learner, run)
        db.session.commit()
        return f"/courses/eip-demo/modules/{module.key}/quiz"


def test_learner_answers_reloads_submits_and_sees_the_result(page: Page, live_server, live_app, screenshots):
    quiz_path = registered_learner_with_an_open_quiz(live_app, "tam.le@example.org")
    page.goto(live_server + "/account/login")
    page.get_by_label("Email").fill("tam.le@example.org")
    page.get_by_label("Mật khẩu").fill("quiz-learner-password")
    page.get_by_role("button", name="Đăng nhập").click()

    page.goto(live_server + quiz_path)
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(8)

    # Answer the first three questions whatever their kind, then reload.
    for index in range(3):
        question = questions.nth(index)
        if question.get_by_role("radio").count():
            question.get_by_role("radio").first.check()
        elif question.get_by_role("checkbox").count():
            question.get_by_role("checkbox").first.check()
        else:
            question.get_by_role("textbox").fill("cộng sinh công nghiệp")
    expect(page.locator(".autosave-status")).to_have_text("Đã lưu")
    page.screenshot(path=screenshots / "quiz-vi.png", full_page=True)
    page.reload()
    for index in range(3):
        question = page.locator("fieldset.question").nth(index)
        answered = question.locator("input:checked").count() + sum(
            1 for box in question.get_by_role("textbox").all() if box.input_value()
        )
        assert answered >= 1, f"question {index + 1} lost its answer after the reload"

    page.get_by_role("button", name="Nộp bài").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kết quả")
    expect(page.locator(".result-summary .score")).to_contain_text("%")
    page.screenshot(path=screenshots / "quiz-result-vi.png", full_page=True)
