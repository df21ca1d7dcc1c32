"""An edition whose first module's run ended an hour ago, with the standard forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from lms.catalogue.models import Course, Module, Run
from lms.evaluations.models import EvaluationForm, ItemKind
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory, attended, evaluation_forms


@dataclass
class Edition:
    course: Course
    module: Module
    ended: Run  # ended an hour ago
    later: Run  # the same module's run next month
    second: Module  # a module whose run has not happened
    form: EvaluationForm  # the first module's evaluation
    follow_up: EvaluationForm


def make_edition(slug: str = "eval-course") -> Edition:
    now = datetime.now(UTC).replace(microsecond=0)
    course = CourseFactory(slug=slug)
    module = ModuleFactory(course=course, key="m1", position=1)
    ended = RunFactory(module=module, key="a", starts_at=now - timedelta(hours=3))
    later = RunFactory(module=module, key="b", starts_at=now + timedelta(days=30))
    second = ModuleFactory(course=course, key="m2", position=2)
    RunFactory(module=second, key="a", starts_at=now + timedelta(days=7))
    forms = evaluation_forms(course)
    form = next(form for form in forms if form.module_id == module.id)
    follow_up = next(form for form in forms if form.is_follow_up)
    return Edition(course, module, ended, later, second, form, follow_up)


@pytest.fixture
def edition(db) -> Edition:
    edition = make_edition()
    db.session.commit()
    return edition


def learner_in(edition: Edition, status: str = "present", **fields):
    user = UserFactory(**fields)
    attended(user, edition.ended, status)
    return user


def full_answers(form: EvaluationForm, rating: int = 4, text: str = "Rất hữu ích") -> dict:
    """An answer to every item of the form: ``rating`` for ratings, the first option, a text."""
    answers = {}
    for item in form.items:
        if item.kind == ItemKind.RATING:
            answers[item.id] = rating
        elif item.kind == ItemKind.SINGLE:
            answers[item.id] = 0
        elif item.kind == ItemKind.MULTIPLE:
            answers[item.id] = [0, 1]
        else:
            answers[item.id] = text
    return answers


def form_data(form: EvaluationForm, answers: dict) -> dict:
    """``answers`` as the browser posts them (``item-<id>`` fields)."""
    return {f"item-{item_id}": value for item_id, value in answers.items()}
