"""Quizzes shipped as ``quiz.yaml`` in a module's content folder, and pre-tests as
``pretest.yaml`` beside it.

Questions are matched by their position: reloading an edited file updates the
questions in place (old attempts keep their snapshots), adds new ones and archives
the ones that disappeared.

A pre-test has the quiz's format; a question of its own is written out in full, and
``- from_quiz: 3`` takes the quiz file's third question as it is (the same question
before and after the module makes the learning gain comparable). Its defaults differ:
one attempt (a second would measure the first) and only the score shown, so the
answers stay for the quiz after the run.
"""

from __future__ import annotations

import string
from pathlib import Path

from sqlalchemy import select

from lms.catalogue.content import ContentError, Fields, read_yaml
from lms.extensions import db
from lms.quizzes.models import Question, QuestionKind, Quiz, QuizPurpose, ShowAfter, ShowWhen

KINDS = {str(kind) for kind in QuestionKind}


def read_quiz(path: Path) -> dict:
    """The quiz in ``path`` as plain values, checked; ContentError names file and field."""
    return _read(path, quiz=None, pretest=False)


def read_pretest(path: Path, quiz: dict | None) -> dict:
    """The pre-test in ``path``; ``quiz`` is the module's quiz as read_quiz gave it,
    for the questions taken ``from_quiz``."""
    return _read(path, quiz=quiz, pretest=True)


def _read(path: Path, quiz: dict | None, pretest: bool) -> dict:
    fields = Fields(path, read_yaml(path))
    attempts = 1 if pretest else 3
    show_after = fields.text(
        "show_after", default=ShowAfter.SCORE if pretest else ShowAfter.ANSWERS_AND_FEEDBACK
    )
    show_when = fields.text("show_when", default=ShowWhen.IMMEDIATELY)
    if show_after not in {str(value) for value in ShowAfter}:
        fields.fail("show_after", f"must be one of {', '.join(ShowAfter)}")
    if show_when not in {str(value) for value in ShowWhen}:
        fields.fail("show_when", f"must be one of {', '.join(ShowWhen)}")
    time_limit = fields.raw("time_limit_minutes", default=None)
    if time_limit is not None and (not isinstance(time_limit, int) or time_limit < 1):
        fields.fail("time_limit_minutes", "must be a whole number of minutes, or null")
    items = fields.list("questions")
    if pretest:
        questions = [_pretest_question(path, index, item, quiz) for index, item in enumerate(items)]
    else:
        questions = [_read_question(path, index, item) for index, item in enumerate(items)]
    if not questions:
        fields.fail("questions", "needs at least one question")
    pass_mark = fields.integer("pass_mark", default=70, minimum=0)
    if pass_mark > 100:
        fields.fail("pass_mark", "must be a percentage from 0 to 100")
    return {
        "title": fields.translated("title"),
        "pass_mark": pass_mark,
        "attempts_allowed": fields.integer("attempts_allowed", default=attempts, minimum=0),
        "time_limit_minutes": time_limit,
        "shuffle_questions": bool(fields.raw("shuffle_questions", default=True)),
        "shuffle_options": bool(fields.raw("shuffle_options", default=True)),
        "show_after": show_after,
        "show_when": show_when,
        "questions": questions,
    }


def _pretest_question(path: Path, index: int, item, quiz: dict | None) -> dict:
    if not (isinstance(item, dict) and "from_quiz" in item):
        return _read_question(path, index, item)
    fields = Fields(path, item, prefix=f"questions[{index}].")
    if set(item) != {"from_quiz"}:
        fields.fail("from_quiz", "stands alone: the question is the quiz's, as it is")
    if quiz is None:
        fields.fail("from_quiz", "needs the module's quiz.yaml")
    number = fields.integer("from_quiz", minimum=1)
    if number > len(quiz["questions"]):
        fields.fail("from_quiz", f"the quiz has {len(quiz['questions'])} questions")
    return dict(quiz["questions"][number - 1])


def _read_question(path: Path, index: int, item) -> dict:
    fields = Fields(path, item, prefix=f"questions[{index}].")
    kind = fields.text("kind")
    if kind not in KINDS:
        fields.fail("kind", f"must be one of {', '.join(sorted(KINDS))}")
    points = fields.raw("points", default=1)
    if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
        fields.fail("points", "must be a positive number")
    question = {
        "kind": kind,
        "points": float(points),
        "text": fields.translated("text"),
        "feedback": fields.translated("feedback", required=False),
        "options": [],
        "answer": {},
        "accent_insensitive": bool(fields.raw("accent_insensitive", default=False)),
        "min_words": fields.raw("min_words", default=None),
        "max_words": fields.raw("max_words", default=None),
    }
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        question["options"] = _read_options(path, index, fields.list("options"), kind)
    elif kind == QuestionKind.TRUE_FALSE:
        value = fields.raw("answer")
        if not isinstance(value, bool):
            fields.fail("answer", "must be true or false")
        question["answer"] = {"value": value}
    elif kind == QuestionKind.SHORT:
        accepted = fields.translated_list("accepted")
        if not any(accepted.values()):
            fields.fail("accepted", "needs at least one accepted answer")
        question["answer"] = {"accepted": accepted}
    return question


def _read_options(path: Path, index: int, items: list, kind: str) -> list[dict]:
    if len(items) < 2 or len(items) > len(string.ascii_lowercase):
        raise ContentError(path, f"questions[{index}].options", "needs between 2 and 26 options")
    options = []
    for number, item in enumerate(items):
        fields = Fields(path, item, prefix=f"questions[{index}].options[{number}].")
        options.append({"key": string.ascii_lowercase[number], "text": fields.translated("text"),
                        "correct": bool(fields.raw("correct", default=False))})  # fmt: skip
    correct = sum(option["correct"] for option in options)
    if kind == QuestionKind.SINGLE and correct != 1:
        raise ContentError(
            path, f"questions[{index}].options", "a single-choice question needs exactly one correct option"
        )
    if kind == QuestionKind.MULTIPLE and correct < 1:
        raise ContentError(
            path, f"questions[{index}].options", "a multiple-choice question needs a correct option"
        )
    return options


def apply_quiz(module, spec: dict, changes: list[str], purpose: str = QuizPurpose.MODULE) -> Quiz:
    """Create or update the module's quiz (or pre-test); the loader flushes and commits."""
    quiz = None
    if module.id:
        quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == module.id, Quiz.purpose == purpose))
    name = "pretest" if purpose == QuizPurpose.PRETEST else "quiz"
    if quiz is None:
        quiz = Quiz(module=module, purpose=purpose, questions=[])
        db.session.add(quiz)
        changes.append(f"{name} {module.key} created")
    for name in ("title", "pass_mark", "attempts_allowed", "time_limit_minutes", "shuffle_questions",
                 "shuffle_options", "show_after", "show_when"):  # fmt: skip
        if getattr(quiz, name) != spec[name]:
            setattr(quiz, name, spec[name])
            if quiz.id is not None:
                changes.append(f"{name} {module.key}: {name}")
    existing = {question.position: question for question in quiz.questions}
    for position, question_spec in enumerate(spec["questions"], start=1):
        question = existing.pop(position, None)
        if question is None:
            question = Question(position=position)
            quiz.questions.append(question)
            changes.append(f"{name} {module.key}: question {position} created")
        for name, value in question_spec.items():
            if getattr(question, name) != value:
                setattr(question, name, value)
                if question.id is not None:
                    changes.append(f"{name} {module.key}: question {position} {name}")
        if question.archived:
            question.archived = False
    for question in existing.values():
        if not question.archived:
            question.archived = True
            changes.append(f"{name} {module.key}: question {question.position} archived")
    return quiz
