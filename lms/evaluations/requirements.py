"""What completion needs to know when an edition requires the evaluation for the
certificate: which modules require it, and who has answered which (from the "has
answered" records, never from the anonymous answers)."""

from __future__ import annotations

from sqlalchemy import select

from lms.catalogue.models import Course
from lms.db import grouped_ids, ids_by_key
from lms.evaluations.models import EvaluationForm, EvaluationInvitation, EvaluationSettings, FormKind
from lms.extensions import db


def modules_requiring_evaluation(course: Course) -> dict[int, int]:
    """{module: its evaluation form} when the edition requires the evaluation; else {}."""
    required = db.session.scalar(
        select(EvaluationSettings.required_for_certificate).where(EvaluationSettings.course_id == course.id)
    )
    if not required:
        return {}
    rows = db.session.execute(
        select(EvaluationForm.module_id, EvaluationForm.id).where(
            EvaluationForm.course_id == course.id, EvaluationForm.kind == FormKind.MODULE
        )
    )
    return dict(rows.all())


def evaluated(forms: dict[int, int], user_ids: list[int] | None = None) -> dict[int, set[int]]:
    """{learner: the modules whose evaluation they answered}, for the learners who answered one
    (one row per learner: an edition of 10,000 learners has 60,000 answered evaluations)."""
    if not forms:
        return {}
    module_of = {form_id: module_id for module_id, form_id in forms.items()}
    query = (
        select(EvaluationInvitation.user_id, grouped_ids(EvaluationInvitation.form_id))
        .where(EvaluationInvitation.form_id.in_(list(module_of)), EvaluationInvitation.answered.is_(True))
        .group_by(EvaluationInvitation.user_id)
    )
    if user_ids is not None:
        query = query.where(EvaluationInvitation.user_id.in_(user_ids or [0]))
    return ids_by_key(db.session.execute(query), module_of)
