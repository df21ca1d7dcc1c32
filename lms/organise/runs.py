"""Runs as organisers set them up: adding and editing them, rescheduling (a raised
calendar SEQUENCE and an email to everyone holding a seat or waiting) and cancelling
(every place ends through enrollment's seat functions; nothing is deleted). Functions
flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import Role, User, UserRole
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.models import Module, Run, RunStatus
from lms.db import utcnow
from lms.enrollment import services as enrollment
from lms.errors import FieldError, ServiceError
from lms.extensions import db
from lms.organise import notify
from lms.organise.checks import check_join_link, clean_texts, require_default_language, to_utc

# The audit log's actions recorded here (lms.audit.actions).
RUN_CREATED = declare_action(
    "run.created",
    _l("Added a run"),
    module=Detail(_l("Module")),
    starts_at=Detail(_l("Starts"), Shown.TIME),
    ends_at=Detail(_l("Ends"), Shown.TIME),
    capacity=Detail(_l("Seats"), Shown.NUMBER),
)
RUN_UPDATED = declare_action(
    "run.updated",
    _l("Changed a run"),
    fields=Detail(_l("Changed"), Shown.LIST),
)
RUN_RESCHEDULED = declare_action(
    "run.rescheduled",
    _l("Rescheduled a run"),
    before=Detail(_l("Before"), Shown.TIMES),
    after=Detail(_l("After"), Shown.TIMES),
    told=Detail(_l("Learners emailed"), Shown.NUMBER),
)
RUN_CANCELLED = declare_action(
    "run.cancelled",
    _l("Cancelled a run"),
    reason=Detail(_l("Reason"), Shown.TEXT),
    seats_released=Detail(_l("Seats released"), Shown.NUMBER),
    told=Detail(_l("Learners emailed"), Shown.NUMBER),
)


RUN_KEYS = "abcdefghijklmnopqrstuvwxyz"


def trainers() -> list[User]:
    """The people who may be assigned to runs: active accounts with the trainer role."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.TRAINER, User.is_active_account.is_(True))
            .order_by(User.full_name, User.id)
        )
    )


@dataclass(frozen=True)
class RunDetails:
    """A run as typed: its start local to the course's zone; an end time on the same
    day, or else a duration (the module's when neither is given)."""

    label: dict
    starts: datetime
    capacity: int
    ends_time: time | None = None
    duration_minutes: int | None = None
    join_url: str = ""
    trainer_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class RunTimes:
    starts_at: datetime
    ends_at: datetime


def _run_times(module: Module, details: RunDetails) -> RunTimes:
    tz = module.course.zone
    starts = to_utc(details.starts, tz, "starts_on")
    if details.ends_time is not None:
        ends = to_utc(datetime.combine(details.starts.date(), details.ends_time), tz, "ends_time")
        field_name = "ends_time"
    else:
        minutes = details.duration_minutes or module.duration_minutes
        ends = starts + timedelta(minutes=minutes)
        field_name = "duration_minutes"
    if ends <= starts:
        raise FieldError(field_name, _l("The run must end after it starts."))
    return RunTimes(starts, ends)


def _run_trainers(ids) -> list[User]:
    wanted = set(ids or ())
    if not wanted:
        return []
    found = [user for user in trainers() if user.id in wanted]
    if len(found) != len(wanted):
        raise FieldError("trainers", _l("Please choose trainers from the list."))
    return found


def _next_run_key(module: Module) -> str:
    used = {run.key for run in module.runs}
    letters = [key for key in RUN_KEYS if key not in used]
    return letters[0] if letters else f"r{len(used) + 1}"


def add_run(module: Module, details: RunDetails, actor: User) -> Run:
    times = _run_times(module, details)
    if details.capacity < 0:
        raise FieldError("capacity", _l("Please enter a number of seats from 0 upwards."))
    run = Run(
        key=_next_run_key(module),
        label=clean_texts(details.label),
        starts_at=times.starts_at,
        ends_at=times.ends_at,
        capacity=details.capacity,
        taken=0,
        sequence=0,
        join_url=check_join_link(details.join_url),
        status=RunStatus.SCHEDULED,
    )
    run.trainers = _run_trainers(details.trainer_ids)
    module.runs.append(run)
    db.session.flush()
    record(RUN_CREATED, run, actor=actor, course_id=module.course_id, module=module.key,
           starts_at=run.starts_at.isoformat(), ends_at=run.ends_at.isoformat(), capacity=run.capacity)  # fmt: skip
    return run


@dataclass
class RunUpdate:
    changed: list[str] = field(default_factory=list)
    rescheduled: bool = False
    told: int = 0  # learners emailed about the new time
    promoted: int = 0  # learners given a seat by a larger capacity


def update_run(run: Run, details: RunDetails, actor: User, now: datetime | None = None) -> RunUpdate:
    """Save a run. A new time raises its SEQUENCE and emails everyone holding a seat or
    waiting; a larger capacity gives seats to the waiting list (``set_capacity``)."""
    now = now or utcnow()
    if run.is_cancelled:
        raise ServiceError(_l("This run is cancelled, so it can no longer be changed."))
    times = _run_times(run.module, details)
    join_url = check_join_link(details.join_url)
    wanted_trainers = _run_trainers(details.trainer_ids)
    if details.capacity < 0:
        raise FieldError("capacity", _l("Please enter a number of seats from 0 upwards."))
    result = RunUpdate()
    values = {"label": clean_texts(details.label), "join_url": join_url}
    for name, value in values.items():
        if getattr(run, name) != value:
            setattr(run, name, value)
            result.changed.append(name)
    if {user.id for user in run.trainers} != {user.id for user in wanted_trainers}:
        run.trainers = wanted_trainers
        result.changed.append("trainers")
    if (times.starts_at, times.ends_at) != (run.starts_at, run.ends_at):
        result.told = _reschedule(run, times, actor)
        result.rescheduled = True
        result.changed.append("time")
    # After the new time is saved, so that people promoted to a seat are sent that time.
    if details.capacity != run.capacity:
        db.session.flush()  # set_capacity reloads the run from the database
        try:
            changes = enrollment.set_capacity(run, details.capacity, actor, now)
        except ServiceError as refusal:
            raise FieldError("capacity", refusal.message) from None
        result.changed.append("capacity")
        result.promoted = len(changes.promoted)
    if result.changed:
        db.session.flush()
        record(RUN_UPDATED, run, actor=actor, course_id=run.module.course_id, fields=result.changed)
    return result


def _reschedule(run: Run, times: RunTimes, actor: User) -> int:
    before = RunTimes(run.starts_at, run.ends_at)
    run.starts_at, run.ends_at = times.starts_at, times.ends_at
    run.sequence += 1
    enrollment.forget_reminders(run)
    choices = enrollment.current_choices(run)
    record(RUN_RESCHEDULED, run, actor=actor, course_id=run.module.course_id,
           before=[before.starts_at.isoformat(), before.ends_at.isoformat()],
           after=[times.starts_at.isoformat(), times.ends_at.isoformat()], told=len(choices))  # fmt: skip
    for choice in choices:
        notify.rescheduled(choice, before.starts_at, before.ends_at)
    return len(choices)


def cancel_run(run: Run, reason: dict, actor: User, now: datetime | None = None) -> int:
    """Cancel a run: nothing is deleted, but every seat and waiting place in it ends,
    the calendars mark it cancelled, and each learner is emailed (with the module's
    other runs to choose from). Returns how many learners were told."""
    now = now or utcnow()
    if run.is_cancelled:
        raise ServiceError(_l("This run is already cancelled."))
    reason = clean_texts(reason)
    require_default_language(reason, "reason", _l("Please tell the learners in Vietnamese why the run is cancelled."))  # fmt: skip
    choices, was_confirmed = enrollment.end_places_in_run(run, now, actor)
    run.status = RunStatus.CANCELLED
    run.sequence += 1
    run.cancelled_at = now
    run.cancelled_by_id = actor.id
    run.cancellation_reason = reason
    db.session.flush()
    record(RUN_CANCELLED, run, actor=actor, course_id=run.module.course_id, reason=reason,
           seats_released=sum(was_confirmed.values()), told=len(choices))  # fmt: skip
    seats = enrollment.seats_in_module(run.module, [choice.user_id for choice in choices])
    for choice in choices:
        notify.cancelled(choice, was_confirmed[choice.id], seats.get(choice.user_id), now)
    return len(choices)
