"""Emails about quiz results, in the learner's language."""

from __future__ import annotations

from lms.accounts.notify import recipient_of
from lms.extensions import db
from lms.i18n import current_locale, tr_text
from lms.mail.kinds import Composition, RecipientGone
from lms.mail.outbox import queue_email
from lms.quizzes.models import Attempt
from lms.urls import external_url


def attempt_graded(attempt: Attempt) -> None:
    queue_email(attempt.user, "quiz_graded", course_id=attempt.quiz.module.course_id, attempt_id=attempt.id)


def build_attempt_graded(payload: dict) -> Composition:
    attempt = db.session.get(Attempt, payload["attempt_id"])
    if attempt is None:
        raise RecipientGone(f"attempt {payload['attempt_id']} no longer exists")
    module = attempt.quiz.module
    return Composition(
        recipient=recipient_of(payload),
        context={
            "module_title": tr_text(module.title, current_locale()),
            "position": module.position,
            "percent": attempt.percent,
            "passed": attempt.passed,
            "result_url": external_url("quizzes.result", attempt_id=attempt.id),
        },
    )


MAIL_KINDS = {"quiz_graded": build_attempt_graded}
