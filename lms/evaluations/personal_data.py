"""The personal data evaluations hold (lms.personal_data): who was invited to which form,
reminded, and whether they answered. The answers themselves are not personal data: they
hold no link to anyone (lms.evaluations.models), so they are neither exported nor erased."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from lms.evaluations.models import EvaluationInvitation
from lms.extensions import db
from lms.personal_data import PersonalData


def export(user_id: int) -> list[dict]:
    rows = db.session.scalars(
        select(EvaluationInvitation)
        .where(EvaluationInvitation.user_id == user_id)
        .order_by(EvaluationInvitation.id)
    )
    return [
        {
            "form_id": row.form_id,
            "invited_at": row.invited_at.isoformat() if row.invited_at else None,
            "reminded_at": row.reminded_at.isoformat() if row.reminded_at else None,
            "answered": row.answered,
        }
        for row in rows
    ]


def erase(user_id: int) -> None:
    # Response rates count the anonymous answers, not these rows, so removing them
    # changes no figure but "invited" and "reminded".
    db.session.execute(delete(EvaluationInvitation).where(EvaluationInvitation.user_id == user_id))


PERSONAL_DATA = (
    PersonalData(
        key="evaluation_invitations",
        label=_l("Evaluations you were invited to, and whether you answered (never what you answered)"),
        export=export,
        erase=erase,
    ),
)
