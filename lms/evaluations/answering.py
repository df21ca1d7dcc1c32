"""Which evaluations a learner may answer now, and answering one.

A module's evaluation opens for a learner when a run of the module they were marked
present or late in has ended, and closes at the form's close date. The follow-up survey
opens when its invitation is written (lms.evaluations.invitations, months after the
learner completed). Each learner answers a form once; the answer is stored without any
link to them (lms.evaluations.models).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.attendance.models import Attendance, AttendanceStatus
from lms.catalogue.models import Course, CourseStatus, Module, Run
from lms.enrollment.models import Registration, RegistrationStatus
from lms.errors import ServiceError
from lms.evaluations.models import (
    RATING_POINTS,
    EvaluationAnswer,
    EvaluationForm,
    EvaluationInvitation,
    EvaluationResponse,
    FormKind,
    ItemKind,
)
from lms.extensions import db
from lms.signals import progress_changed

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
MAX_TEXT = 4000


@dataclass(frozen=True)
class OpenForm:
    id: int
    closes_at: datetime | None


@dataclass(frozen=True)
class OpenCourse:
    title: dict
    zone: ZoneInfo


@dataclass(frozen=True)
class OpenModule:
    position: int
    title: dict


@dataclass(frozen=True)
class OpenEvaluation:
    """A form the learner may answer, with what the lists show of it (plain values: My
    schedule asks on every request, and mapped objects cost more than the query)."""

    form: OpenForm
    course: OpenCourse
    module: OpenModule | None  # None: the follow-up survey


def _not_closed(now: datetime):
    return or_(EvaluationForm.closes_at.is_(None), EvaluationForm.closes_at >= now)


def _answered_by(user_id: int):
    return exists().where(
        EvaluationInvitation.form_id == EvaluationForm.id,
        EvaluationInvitation.user_id == user_id,
        EvaluationInvitation.answered.is_(True),
    )


def _attended_ended_run(user_id: int, now: datetime):
    """The learner has a present or late mark in a run of the form's module that has ended."""
    return exists().where(
        Attendance.user_id == user_id,
        Attendance.status.in_(ATTENDED),
        Attendance.run_id == Run.id,
        Run.module_id == EvaluationForm.module_id,
        Run.ends_at <= now,
    )


def _registered(user_id: int):
    return exists().where(
        Registration.course_id == EvaluationForm.course_id,
        Registration.user_id == user_id,
        Registration.status == RegistrationStatus.ACTIVE,
    )


def _invited(user_id: int):
    return exists().where(
        EvaluationInvitation.form_id == EvaluationForm.id,
        EvaluationInvitation.user_id == user_id,
        EvaluationInvitation.invited_at.is_not(None),
    )


def _open_condition(user_id: int, now: datetime):
    return and_(
        _registered(user_id),
        _not_closed(now),
        or_(
            and_(EvaluationForm.kind == FormKind.MODULE, _attended_ended_run(user_id, now)),
            and_(EvaluationForm.kind == FormKind.FOLLOW_UP, _invited(user_id)),
        ),
    )


@lru_cache(maxsize=1)
def _open_evaluations_statement():
    """Built once per process (its four conditions cost more to build than to run); the
    learner and the moment are bound when it runs."""
    user_id, now = bindparam("user_id"), bindparam("now", type_=EvaluationForm.closes_at.type)
    return (
        select(EvaluationForm.id, EvaluationForm.closes_at, Course.title, Course.timezone)
        .add_columns(Module.id, Module.position, Module.title)
        .join(Course, Course.id == EvaluationForm.course_id)
        .outerjoin(Module, Module.id == EvaluationForm.module_id)
        .where(
            Course.status != CourseStatus.DRAFT,
            _open_condition(user_id, now),
            ~_answered_by(user_id),
        )
        .order_by(Course.id, EvaluationForm.kind, Module.position)
    )


def open_evaluations(user: User, now: datetime) -> list[OpenEvaluation]:
    """The forms the learner may answer now and has not answered (one query)."""
    rows = db.session.connection().execute(_open_evaluations_statement(), {"user_id": user.id, "now": now})
    return [
        OpenEvaluation(
            OpenForm(form_id, closes_at),
            OpenCourse(title, ZoneInfo(timezone)),
            OpenModule(position, module_title) if module_id is not None else None,
        )
        for form_id, closes_at, title, timezone, module_id, position, module_title in rows
    ]


def is_open_for(user: User, form: EvaluationForm, now: datetime) -> bool:
    return bool(
        db.session.scalar(
            select(EvaluationForm.id).where(EvaluationForm.id == form.id, _open_condition(user.id, now))
        )
    )


def may_see(user: User, form: EvaluationForm) -> bool:
    """Only the edition's learners reach its forms at all (others get 404)."""
    return bool(db.session.scalar(select(_registered(user.id)).where(EvaluationForm.id == form.id)))


def has_answered(user: User, form: EvaluationForm) -> bool:
    return bool(
        db.session.scalar(
            select(EvaluationInvitation.id).where(
                EvaluationInvitation.form_id == form.id,
                EvaluationInvitation.user_id == user.id,
                EvaluationInvitation.answered.is_(True),
            )
        )
    )


def check_can_answer(user: User, form: EvaluationForm, now: datetime) -> None:
    """Why the learner may not answer now, as a refusal in their language."""
    if has_answered(user, form):
        raise ServiceError(_l("You have already answered this evaluation. Thank you!"))
    if form.closes_at is not None and now > form.closes_at:
        raise ServiceError(_l("This evaluation is closed: it no longer takes answers."))
    if not is_open_for(user, form, now):
        raise ServiceError(
            _l("This evaluation is not open for you yet: it opens when your session of the module has ended "
               "and your attendance is recorded.")
        )  # fmt: skip


# -- answering --------------------------------------------------------------------------


def week_of(now: datetime, course: Course) -> date:
    """The Monday of the week, in the course's zone: the only time an answer keeps."""
    day = now.astimezone(course.zone).date()
    return day - timedelta(days=day.weekday())


def _as_index(value, options: list) -> int:
    try:
        index = int(value)
    except (TypeError, ValueError):
        raise ServiceError(_l("An answer is not one of the options offered. Please choose again.")) from None
    if not 0 <= index < len(options):
        raise ServiceError(_l("An answer is not one of the options offered. Please choose again."))
    return index


def _clean_answer(item, value) -> EvaluationAnswer | None:
    """The answer to one item, checked; None when left empty (refused if required)."""
    empty = value in (None, "", [])
    if empty:
        if item.required and item.kind != ItemKind.TEXT:
            raise ServiceError(_l("Please answer every question marked as required."))
        return None
    if item.kind == ItemKind.RATING:
        try:
            rating = int(value)
        except (TypeError, ValueError):
            rating = 0
        if rating not in RATING_POINTS:
            raise ServiceError(_l("A rating must be a whole number from 1 to 5."))
        return EvaluationAnswer(item_id=item.id, rating=rating)
    if item.kind == ItemKind.SINGLE:
        return EvaluationAnswer(item_id=item.id, choices=[_as_index(value, item.options)])
    if item.kind == ItemKind.MULTIPLE:
        values = value if isinstance(value, list | tuple) else [value]
        return EvaluationAnswer(item_id=item.id, choices=sorted({_as_index(v, item.options) for v in values}))
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise ServiceError(_l("An answer is too long: please keep it under 4,000 characters."))
    return EvaluationAnswer(item_id=item.id, text=text) if text else None


def _claim_answer(user: User, form: EvaluationForm) -> None:
    """Record that the learner has answered, unless they have (a second submission, or
    two at once: one conditional UPDATE wins)."""
    row = db.session.scalar(
        select(EvaluationInvitation.id).where(
            EvaluationInvitation.form_id == form.id, EvaluationInvitation.user_id == user.id
        )
    )
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(EvaluationInvitation(form_id=form.id, user_id=user.id, answered=False))
        except IntegrityError:
            pass  # written meanwhile by the invitation job or a parallel submission
    claimed = db.session.execute(
        update(EvaluationInvitation)
        .where(
            EvaluationInvitation.form_id == form.id,
            EvaluationInvitation.user_id == user.id,
            EvaluationInvitation.answered.is_(False),
        )
        .values(answered=True)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ServiceError(_l("You have already answered this evaluation. Thank you!"))


def submit_evaluation(user: User, form: EvaluationForm, answers: dict, now: datetime) -> EvaluationResponse:
    """Store the learner's answers anonymously. ``answers`` maps item ids (int or str) to
    a rating, an option index, a list of option indexes or a text. Refused with a message
    in the learner's language, nothing saved: closed or not yet open, answered already,
    a rating out of range, an item not on the form, a required item left empty."""
    check_can_answer(user, form, now)
    items = {item.id: item for item in form.items}
    answers = {str(key): value for key, value in answers.items()}
    if set(answers) - {str(item_id) for item_id in items}:
        raise ServiceError(_l("The form was changed or tampered with: please open it again and answer."))
    cleaned = [_clean_answer(item, answers.get(str(item_id))) for item_id, item in items.items()]
    course = db.session.get(Course, form.course_id)
    _claim_answer(user, form)
    response = EvaluationResponse(
        form_id=form.id,
        week=week_of(now, course),
        organisation_type=user.organisation_type or "",
        province=user.province or "",
        gender=user.gender or "",
        answers=[answer for answer in cleaned if answer is not None],
    )
    db.session.add(response)
    form.answered = True
    db.session.flush()
    if form.kind == FormKind.MODULE:
        # The evaluation may be required for the certificate (lms.completion.rules).
        progress_changed.send(form.course_id, user_ids=[user.id])
    return response


def not_yet_answered(course: Course, module_ids: list[int], now: datetime) -> set[int]:
    """The learners who may answer the evaluation of one of these modules now and have
    not (the same opening rule as :func:`open_evaluations`, for a whole edition in one
    query): messages to participants reach them as "not yet evaluated"."""
    answered = exists().where(
        EvaluationInvitation.form_id == EvaluationForm.id,
        EvaluationInvitation.user_id == Attendance.user_id,
        EvaluationInvitation.answered.is_(True),
    )
    return set(
        db.session.scalars(
            select(Attendance.user_id)
            .distinct()
            .join(Run, Run.id == Attendance.run_id)
            .join(EvaluationForm, EvaluationForm.module_id == Run.module_id)
            .where(
                EvaluationForm.course_id == course.id,
                EvaluationForm.kind == FormKind.MODULE,
                EvaluationForm.module_id.in_(module_ids),
                Attendance.status.in_(ATTENDED),
                Run.ends_at <= now,
                _not_closed(now),
                ~answered,
            )
        )
    )
