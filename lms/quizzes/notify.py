"""Emails about quiz results, in the learner's language."""

from __future__ import annotations

from flask_babel import force_locale

from lms.i18n import tr_text
from lms.mail.services import queue_email
from lms.urls import external_url


def attempt_graded(attempt) -> None:
    learner = attempt.user
    module = attempt.quiz.module
    with force_locale(learner.locale):
        queue_email(
            learner,
            "quiz_graded",
            "quiz_graded",
            module_title=tr_text(module.title, learner.locale),
            position=module.position,
            percent=attempt.percent,
            passed=attempt.passed,
            result_url=external_url("quizzes.result", attempt_id=attempt.id),
        )
