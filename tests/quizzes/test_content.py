"""The shipped quizzes load with the course, idempotently, and reloads keep attempts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from lms.catalogue.content import ContentError
from lms.course_folders import load_course_folder, read_course_folder
from lms.quizzes.models import Question, QuestionKind, Quiz, QuizPurpose

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
    assert db.session.scalar(select(func.count(Quiz.id))) == 12  # a quiz and a pre-test per module
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


def test_every_shipped_module_has_a_bilingual_pretest_of_at_least_five_questions():
    folder = read_course_folder(SHIPPED)
    for module in folder.modules:
        pretest, quiz = folder.pretests.get(module.key), folder.quizzes[module.key]
        assert pretest is not None, module.key
        assert len(pretest["questions"]) >= 5
        assert pretest["attempts_allowed"] == 1
        for question in pretest["questions"]:
            assert set(question["text"]) == {"vi", "en"}
        # Most questions are the quiz's own, so the gain compares like with like.
        shared = [question for question in pretest["questions"] if question in quiz["questions"]]
        assert len(shared) >= 5


def test_the_pretests_load_beside_the_quizzes(db):
    load_course_folder(SHIPPED)
    pretests = db.session.scalars(select(Quiz).where(Quiz.purpose == QuizPurpose.PRETEST)).all()
    assert len(pretests) == 6
    assert {len(pretest.active_questions) for pretest in pretests} == {6}
    assert all(pretest.title["vi"].startswith("Bài kiểm tra đầu vào") for pretest in pretests)


def write_pretest(folder: Path, questions: list) -> Path:
    path = folder / "modules/04-recp/pretest.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"] = questions
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("questions", "field"),
    [
        ([{"from_quiz": 99}], "questions[0].from_quiz"),
        ([{"from_quiz": 0}], "questions[0].from_quiz"),
        ([{"from_quiz": 1, "points": 3}], "questions[0].from_quiz"),
        ([], "questions"),
    ],
)
def test_an_invalid_pretest_names_file_and_field(tmp_path, questions, field):
    folder = tmp_path / "eip"
    shutil.copytree(SHIPPED, folder)
    path = write_pretest(folder, questions)
    with pytest.raises(ContentError) as raised:
        read_course_folder(folder)
    assert (raised.value.path, raised.value.field) == (path, field)


def test_a_pretest_without_a_quiz_cannot_borrow_its_questions(tmp_path):
    folder = tmp_path / "eip"
    shutil.copytree(SHIPPED, folder)
    (folder / "modules/04-recp/quiz.yaml").unlink()
    with pytest.raises(ContentError, match=r"quiz\.yaml"):
        read_course_folder(folder)
