"""The shipped quizzes load with the course, idempotently, and reloads keep attempts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from lms.catalogue.content import ContentError
from lms.course_folders import load_course_folder, read_course_folder
from lms.quizzes.models import Question, QuestionKind, Quiz

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "eip-2023"


def test_every_shipped_module_has_a_bilingual_quiz_of_at_least_eight_questions():
    folder = read_course_folder(SHIPPED)
    for module in folder.modules:
        quiz = folder.quizzes.get(module.key)
        assert quiz is not None, module.key
        assert len(quiz["questions"]) >= 8
        kinds = {question["kind"] for question in quiz["questions"]}
        assert {
            QuestionKind.SINGLE,
            QuestionKind.MULTIPLE,
            QuestionKind.TRUE_FALSE,
            QuestionKind.SHORT,
        } <= kinds
        for question in quiz["questions"]:
            assert set(question["text"]) == {"vi", "en"}


def test_loading_twice_changes_nothing(db):
    load_course_folder(SHIPPED)
    assert db.session.scalar(select(func.count(Quiz.id))) == 6
    questions = db.session.scalar(select(func.count(Question.id)))
    assert questions >= 48
    assert not load_course_folder(SHIPPED).changed
    assert db.session.scalar(select(func.count(Question.id))) == questions


def test_an_invalid_quiz_names_file_and_field(tmp_path):
    folder = tmp_path / "eip"
    shutil.copytree(SHIPPED, folder)
    path = folder / "modules/04-recp/quiz.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"][0]["options"][1]["correct"] = True  # two right answers to a single choice
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        read_course_folder(folder)
    assert raised.value.path == path
    assert raised.value.field == "questions[0].options"
