"""The follow-up survey (lms.evaluations) goes to each learner N months after they
completed an edition (its organisers choose N, default 3). Completing is the
certificate's issue, which only this package knows: so the periodic job that finds who
is due lives here and hands them to lms.evaluations.invitations."""

from __future__ import annotations

import calendar
from datetime import datetime

from sqlalchemy import exists, func, select

from lms.certificates.models import Certificate, CertificateStatus
from lms.db import utcnow
from lms.evaluations.invitations import send_follow_up_invitations
from lms.evaluations.models import EvaluationForm, EvaluationInvitation, EvaluationSettings, FormKind
from lms.extensions import db
from lms.jobs.queue import crontab, periodic

DEFAULT_MONTHS = 3


def months_later(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def due_follow_ups(now: datetime) -> list[tuple[int, int]]:
    """(learner, edition) pairs whose completion is old enough and who were not invited."""
    completed = func.min(Certificate.issued_at)
    rows = db.session.execute(
        select(Certificate.user_id, Certificate.course_id, completed, EvaluationSettings.follow_up_months)
        .join(EvaluationForm, (EvaluationForm.course_id == Certificate.course_id)
              & (EvaluationForm.kind == FormKind.FOLLOW_UP))
        .outerjoin(EvaluationSettings, EvaluationSettings.course_id == Certificate.course_id)
        .where(
            Certificate.status.in_([CertificateStatus.VALID, CertificateStatus.REPLACED]),
            ~exists().where(EvaluationInvitation.form_id == EvaluationForm.id,
                            EvaluationInvitation.user_id == Certificate.user_id),
        )
        .group_by(Certificate.user_id, Certificate.course_id, EvaluationSettings.follow_up_months)
        .order_by(Certificate.course_id, Certificate.user_id)
    ).all()  # fmt: skip
    return [
        (user_id, course_id)
        for user_id, course_id, issued, months in rows
        if _aware(issued) and months_later(_aware(issued), months or DEFAULT_MONTHS) <= now
    ]


def _aware(value: datetime | None) -> datetime | None:
    # min() may lose the column type: SQLite then hands back a naive UTC string or datetime.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


@periodic(crontab(minute="7"))
def invite_to_follow_up() -> None:
    # Safe twice at once: each invitation is a unique (form, learner) row.
    now = utcnow()
    send_follow_up_invitations(due_follow_ups(now), now)
    db.session.commit()
