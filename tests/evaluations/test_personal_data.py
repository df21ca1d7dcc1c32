"""The "has answered" records are the learner's personal data; the answers are not."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.db import utcnow
from lms.evaluations import answering, invitations
from lms.evaluations.models import EvaluationInvitation, EvaluationResponse
from lms.personal_data import declared_personal_data
from tests.evaluations.conftest import full_answers, learner_in


def test_invitations_are_declared_exported_and_erased_answers_stay(db, edition):
    declaration = next(item for item in declared_personal_data() if item.key == "evaluation_invitations")
    learner = learner_in(edition)
    invitations.send_module_invitations(utcnow())
    answering.submit_evaluation(learner, edition.form, full_answers(edition.form), utcnow())
    records = declaration.export(learner.id)
    assert records == [{"form_id": edition.form.id, "invited_at": records[0]["invited_at"], "reminded_at": None,
                        "answered": True}]  # fmt: skip
    assert "rating" not in str(records) and "Rất hữu ích" not in str(records)
    declaration.erase(learner.id)
    db.session.flush()
    assert declaration.export(learner.id) == []
    assert db.session.scalar(select(func.count()).select_from(EvaluationInvitation)) == 0
    assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 1  # counted still
