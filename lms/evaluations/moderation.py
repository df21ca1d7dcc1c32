"""Organisers hide an abusive free-text answer from the results (and show it again);
each time is in the audit log. The text stays in the database: hiding is not deleting."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.evaluations.models import EvaluationAnswer, EvaluationForm, EvaluationItem
from lms.extensions import db

ANSWER_HIDDEN = declare_action(
    "evaluation_answer.hidden",
    _l("Hid a free-text answer of an evaluation"),
    module_id=Detail(_l("Module"), Shown.MODULE),
    hidden=Detail(_l("Hidden")),
    excerpt=Detail(_l("Beginning of the answer"), Shown.TEXT),
)


def find_answer(course_id: int, answer_id: str) -> EvaluationAnswer | None:
    """A free-text answer of one of the edition's forms, or None."""
    return db.session.scalar(
        select(EvaluationAnswer)
        .join(EvaluationItem, EvaluationItem.id == EvaluationAnswer.item_id)
        .join(EvaluationForm, EvaluationForm.id == EvaluationItem.form_id)
        .where(
            EvaluationAnswer.id == answer_id,
            EvaluationForm.course_id == course_id,
            EvaluationAnswer.text.is_not(None),
        )
    )


def set_hidden(answer: EvaluationAnswer, actor: User, hidden: bool) -> None:
    item = db.session.get(EvaluationItem, answer.item_id)
    form = item.form
    answer.hidden = hidden
    db.session.flush()
    record(ANSWER_HIDDEN, form, actor=actor, course_id=form.course_id, module_id=form.module_id,
           hidden="yes" if hidden else "no", excerpt=(answer.text or "")[:60])  # fmt: skip
