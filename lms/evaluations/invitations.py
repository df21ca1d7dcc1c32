"""Invitations to answer, and the one reminder, sent by periodic jobs
(lms.evaluations.tasks; the follow-up's invitations by lms.certificates.follow_up, which
knows when each learner completed).

Each invitation is a row (form, learner) written before its email is queued: the unique
constraint lets only one process write it, so nobody is invited twice. The reminder is
claimed by a conditional UPDATE of ``reminded_at``: never two, however many workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.accounts.notify import recipient_of
from lms.attendance.models import Attendance
from lms.catalogue.models import Course, CourseStatus, Module, Run
from lms.enrollment.models import Registration, RegistrationStatus
from lms.evaluations.answering import ATTENDED
from lms.evaluations.models import EvaluationForm, EvaluationInvitation, FormKind
from lms.extensions import db
from lms.i18n import current_locale, format_short_datetime, tr_text
from lms.mail.kinds import Composition, RecipientGone
from lms.mail.outbox import queue_email
from lms.urls import external_url

# The reminder goes this long after the invitation to those who have not answered.
REMIND_AFTER = timedelta(days=3)
# Runs that ended longer ago than this open nothing new (an old edition stays quiet).
LOOK_BACK = timedelta(days=60)


def _not_closed(now: datetime):
    return (EvaluationForm.closes_at.is_(None)) | (EvaluationForm.closes_at >= now)


def due_module_invitations(now: datetime) -> list[tuple[int, int]]:
    """(form, learner) pairs whose evaluation has opened and who have no invitation row."""
    rows = db.session.execute(
        select(EvaluationForm.id, Attendance.user_id)
        .join(Run, Run.module_id == EvaluationForm.module_id)
        .join(Attendance, Attendance.run_id == Run.id)
        .join(Course, Course.id == EvaluationForm.course_id)
        .join(
            Registration,
            (Registration.course_id == Course.id) & (Registration.user_id == Attendance.user_id),
        )
        .join(User, User.id == Attendance.user_id)
        .where(
            EvaluationForm.kind == FormKind.MODULE,
            Course.status != CourseStatus.DRAFT,
            Registration.status == RegistrationStatus.ACTIVE,
            User.is_active_account.is_(True),
            Attendance.status.in_(ATTENDED),
            Run.ends_at <= now,
            Run.ends_at > now - LOOK_BACK,
            _not_closed(now),
            ~exists().where(
                EvaluationInvitation.form_id == EvaluationForm.id,
                EvaluationInvitation.user_id == Attendance.user_id,
            ),
        )
        .distinct()
        .order_by(EvaluationForm.id, Attendance.user_id)
    ).all()
    return [tuple(row) for row in rows]


def _invite(form_id: int, user_id: int, course_id: int, now: datetime, kind: str) -> bool:
    """Write the invitation and queue its email, unless another process wrote it first."""
    try:
        with db.session.begin_nested():
            db.session.add(EvaluationInvitation(form_id=form_id, user_id=user_id, invited_at=now))
    except IntegrityError:
        return False
    user = db.session.get(User, user_id)
    queue_email(user, kind, course_id=course_id, form_id=form_id)
    return True


def send_module_invitations(now: datetime) -> int:
    """Invite every learner whose module evaluation opened; how many (flushes only)."""
    forms = {}
    sent = 0
    for form_id, user_id in due_module_invitations(now):
        if form_id not in forms:
            forms[form_id] = db.session.get(EvaluationForm, form_id)
        sent += _invite(form_id, user_id, forms[form_id].course_id, now, "evaluation_invitation")
    return sent


def send_follow_up_invitations(due: Iterable[tuple[int, int]], now: datetime) -> int:
    """Invite to the edition's follow-up survey each (learner, edition) of ``due`` (they
    completed long enough ago: the caller knows), unless invited already or it is closed."""
    sent = 0
    forms: dict[int, EvaluationForm | None] = {}
    for user_id, course_id in due:
        if course_id not in forms:
            forms[course_id] = db.session.scalar(
                select(EvaluationForm).where(
                    EvaluationForm.course_id == course_id,
                    EvaluationForm.kind == FormKind.FOLLOW_UP,
                    _not_closed(now),
                )
            )
        form = forms[course_id]
        if form is None or db.session.scalar(
            select(EvaluationInvitation.id).where(
                EvaluationInvitation.form_id == form.id, EvaluationInvitation.user_id == user_id
            )
        ):
            continue
        sent += _invite(form.id, user_id, course_id, now, "follow_up_invitation")
    return sent


@dataclass(frozen=True)
class DueReminder:
    invitation_id: int
    form_id: int
    user_id: int
    course_id: int


def due_reminders(now: datetime) -> list[DueReminder]:
    rows = db.session.execute(
        select(
            EvaluationInvitation.id, EvaluationInvitation.form_id, EvaluationInvitation.user_id,
            EvaluationForm.course_id,
        )
        .join(EvaluationForm, EvaluationForm.id == EvaluationInvitation.form_id)
        .join(User, User.id == EvaluationInvitation.user_id)
        .where(
            EvaluationInvitation.answered.is_(False),
            EvaluationInvitation.reminded_at.is_(None),
            EvaluationInvitation.invited_at <= now - REMIND_AFTER,
            User.is_active_account.is_(True),
            _not_closed(now),
        )
        .order_by(EvaluationInvitation.id)
    ).all()  # fmt: skip
    return [DueReminder(*row) for row in rows]


def claim_reminder(invitation_id: int, now: datetime) -> bool:
    """Mark the reminder sent, unless another process did first (or they answered)."""
    result = db.session.execute(
        update(EvaluationInvitation)
        .where(
            EvaluationInvitation.id == invitation_id,
            EvaluationInvitation.reminded_at.is_(None),
            EvaluationInvitation.answered.is_(False),
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def send_reminders(now: datetime, due: list[DueReminder] | None = None) -> int:
    """One reminder to each invited learner who has not answered (``due``: as read
    earlier, by a test standing for a process that read before another claimed); how
    many (flushes only)."""
    sent = 0
    for reminder in due_reminders(now) if due is None else due:
        if not claim_reminder(reminder.invitation_id, now):
            continue
        user = db.session.get(User, reminder.user_id)
        queue_email(user, "evaluation_reminder", course_id=reminder.course_id, form_id=reminder.form_id)
        sent += 1
    return sent


# -- building, in a job worker ----------------------------------------------------------


def _form_context(payload: dict) -> tuple[User, dict]:
    user = recipient_of(payload)
    form = db.session.get(EvaluationForm, payload["form_id"])
    if form is None:
        raise RecipientGone(f"evaluation form {payload['form_id']} no longer exists")
    locale = current_locale()
    course = db.session.get(Course, form.course_id)
    module = db.session.get(Module, form.module_id) if form.module_id else None
    return user, {
        "course_title": tr_text(course.title, locale),
        "module_number": module.position if module else None,
        "module_title": tr_text(module.title, locale) if module else "",
        "follow_up": form.kind == FormKind.FOLLOW_UP,
        "closes": format_short_datetime(form.closes_at, course.zone) if form.closes_at else "",
        "form_url": external_url("evaluations.answer", form_id=form.id),
    }


def build_invitation(payload: dict) -> Composition:
    user, context = _form_context(payload)
    return Composition(recipient=user, context=context)


MAIL_KINDS = {
    "evaluation_invitation": build_invitation,
    "follow_up_invitation": build_invitation,
    "evaluation_reminder": build_invitation,
}
