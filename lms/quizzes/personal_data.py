"""The personal data quizzes hold: the learner's attempts with every answer, and the
texts they wrote (essays). See lms.personal_data.

Attempts and scores stay (pass rates and per-question statistics count them); the texts
the person wrote and the feedback written to them go. Choices and short answers are
picks among the question's options or a few words of the subject, not about the person.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.extensions import db
from lms.i18n import tr_text
from lms.personal_data import PersonalData
from lms.quizzes.models import Answer, Attempt, QuestionKind


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _attempts(user_id: int) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user_id)
            .options(selectinload(Attempt.answers), selectinload(Attempt.quiz))
            .order_by(Attempt.id)
        )
    )


def _answer(answer: Answer) -> dict:
    return {
        "question": tr_text(answer.snapshot.get("text")),
        "kind": answer.snapshot.get("kind"),
        "response": answer.response,
        "score": answer.score,
        "feedback": answer.grader_feedback,
        "saved_at": _iso(answer.saved_at),
    }


def export_attempts(user_id: int) -> list[dict]:
    return [
        {
            "quiz": tr_text(attempt.quiz.title),
            "number": attempt.number,
            "status": attempt.status,
            "started_at": _iso(attempt.started_at),
            "submitted_at": _iso(attempt.submitted_at),
            "score": attempt.score,
            "max_score": attempt.max_score,
            "percent": attempt.percent,
            "passed": attempt.passed,
            "answers": [_answer(answer) for answer in attempt.answers],
        }
        for attempt in _attempts(user_id)
    ]


def erase_attempts(user_id: int) -> None:
    for attempt in _attempts(user_id):
        for answer in attempt.answers:
            if answer.snapshot.get("kind") == QuestionKind.ESSAY and answer.response is not None:
                answer.response = ""
            answer.grader_feedback = ""
    db.session.flush()


PERSONAL_DATA = (
    PersonalData("quiz_attempts", _l("Quiz attempts and answers"), export_attempts, erase_attempts),
)
