"""A course whose module 1 has started, a registered learner and a quiz of every kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lms.quizzes.models import Quiz
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory, hold, quiz_with_questions

QUESTIONS = [
    {"kind": "single", "points": 1.0, "text": {"vi": "Nghị định nào thể chế hóa KCNST?", "en": "Which decree institutionalised EIPs?"},
     "options": [{"key": "a", "text": {"vi": "35/2022/NĐ-CP", "en": "35/2022/ND-CP"}, "correct": True},
                 {"key": "b", "text": {"vi": "82/2018/NĐ-CP", "en": "82/2018/ND-CP"}, "correct": False},
                 {"key": "c", "text": {"vi": "Luật Đầu tư", "en": "The Investment Law"}, "correct": False}],
     "feedback": {"vi": "Nghị định 35/2022.", "en": "Decree 35/2022."}},
    {"kind": "multiple", "points": 2.0, "text": {"vi": "Chọn các lĩnh vực RECP", "en": "Choose the RECP areas"},
     "options": [{"key": "a", "text": {"vi": "Năng lượng", "en": "Energy"}, "correct": True},
                 {"key": "b", "text": {"vi": "Nước", "en": "Water"}, "correct": True},
                 {"key": "c", "text": {"vi": "Quảng cáo", "en": "Advertising"}, "correct": False},
                 {"key": "d", "text": {"vi": "Thời trang", "en": "Fashion"}, "correct": False}]},
    {"kind": "true_false", "points": 1.0, "text": {"vi": "DEEP C ở Hải Phòng.", "en": "DEEP C is in Hai Phong."},
     "answer": {"value": True}},
    {"kind": "short", "points": 1.0, "accent_insensitive": True,
     "text": {"vi": "Trao đổi phụ phẩm giữa doanh nghiệp gọi là gì?", "en": "What is exchanging by-products between firms called?"},
     "answer": {"accepted": {"vi": ["cộng sinh công nghiệp"], "en": ["industrial symbiosis"]}}},
]  # fmt: skip

ESSAY = {"kind": "essay", "points": 3.0, "min_words": 3, "max_words": 50,
         "text": {"vi": "Khu của bạn có thể làm gì?", "en": "What could your park do?"}}  # fmt: skip

ALL_RIGHT = {0: ["a"], 1: ["a", "b"], 2: ["true"], 3: ["cong sinh cong nghiep"]}


def make_quiz(module, questions=QUESTIONS, **settings) -> Quiz:
    """The quiz of the quiz tests: QUESTIONS unless others are given."""
    return quiz_with_questions(module, questions, title={"vi": "Bài kiểm tra 1", "en": "Quiz 1"}, **settings)


@pytest.fixture
def setting(db):
    """(course, module, quiz, learner): the learner's run started an hour ago."""
    now = datetime.now(UTC).replace(microsecond=0)
    course = CourseFactory(slug="quiz-course", registration_opens_at=now - timedelta(days=30),
                           registration_closes_at=now + timedelta(days=5))  # fmt: skip
    module = ModuleFactory(course=course, key="m1", position=1)
    started = RunFactory(module=module, key="a", starts_at=now - timedelta(hours=1))
    RunFactory(module=module, key="b", starts_at=now + timedelta(days=2))
    learner = UserFactory(email="hoa@example.org", locale="vi")
    trainer = UserFactory(email="teacher@example.org", roles=["trainer"])
    started.trainers.append(trainer)
    quiz = make_quiz(module, shuffle_questions=False, shuffle_options=False)
    db.session.add(quiz)
    db.session.flush()
    hold(learner, started)  # a seat in the run that has started: the quiz is open for them
    db.session.commit()
    return course, module, quiz, learner


def form_values(attempt, by_position: dict[int, list[str]]) -> dict[int, list[str]]:
    """Map {question position (0-based in QUESTIONS order): values} to {question id: values}."""
    ids = sorted(answer.question_id for answer in attempt.answers)
    return {ids[position]: values for position, values in by_position.items()}
