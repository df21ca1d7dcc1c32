"""Registration rules: the window, one run per module, seats that never overbook,
first-come-first-served waiting lists, switches and cancellations.

Seats are counted in ``run.taken`` and changed only by conditional UPDATEs
(``taken < capacity``), so two requests can never take the last seat twice, on SQLite
(write transactions begin IMMEDIATE) or PostgreSQL (the UPDATE re-checks the row after
waiting for its lock). Choices are never deleted: they change state, with when and by
whom. Functions flush, never commit; the caller commits once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.models import Course, Module, RegistrationState, Run, RunStatus
from lms.catalogue.shown import ShownEdition, ShownModule, ShownRun
from lms.consent.models import How, Purpose
from lms.consent.services import COURSE_CONSENT_MISSING, consents_to_record, record_consents
from lms.db import utcnow
from lms.enrollment import notify
from lms.enrollment.models import ChoiceStatus, Registration, RegistrationStatus, RunChoice
from lms.errors import FieldError, ServiceError
from lms.extensions import db
from lms.i18n import tr_text
from lms.transactions import begin_writing

# The audit log's actions recorded here (lms.audit.actions).
REGISTERED = declare_action(
    "registration.created",
    _l("Registered for the course"),
)
RUN_SWITCHED = declare_action(
    "registration.run_switched",
    _l("Switched to another run"),
    run_id=Detail(_l("Run"), Shown.RUN),
    outcome=Detail(_l("Outcome")),
)
REGISTRATION_CANCELLED = declare_action(
    "registration.cancelled",
    _l("Cancelled a registration"),
)
CAPACITY_CHANGED = declare_action(
    "run.capacity_changed",
    _l("Changed a run's capacity"),
    before=Detail(_l("Before"), Shown.NUMBER),
    after=Detail(_l("After"), Shown.NUMBER),
)


JOIN_LINK_OPENS_BEFORE = timedelta(minutes=30)


class RunFull(ServiceError):
    """The chosen run has no seat left (and the learner did not ask to wait)."""

    def __init__(self, module: Module | ShownModule, run: Run | ShownRun) -> None:
        super().__init__(
            _l(
                "%(run)s of module %(position)s has just filled up. Choose the other run, or the waiting list of this one.",
                run=tr_text(run.label) or run.key,
                position=module.position,
            )
        )
        self.module_id = module.id


@dataclass(frozen=True)
class Pick:
    """What the learner chose for one module: a run, and whether to wait if it is full."""

    run_id: int
    wait_if_full: bool = False


@dataclass
class Changes:
    """What a service call did, for the emails the route sends after committing."""

    confirmed: list[RunChoice] = field(default_factory=list)
    waiting: list[RunChoice] = field(default_factory=list)
    released: list[RunChoice] = field(default_factory=list)
    promoted: list[RunChoice] = field(default_factory=list)


# -- seats -----------------------------------------------------------------------


def take_seat(run_id: int) -> bool:
    """Take one seat if one is free; True when it was taken."""
    result = db.session.execute(
        update(Run)
        .where(Run.id == run_id, Run.taken < Run.capacity, Run.status == RunStatus.SCHEDULED)
        .values(taken=Run.taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def take_seats(run_ids: Iterable[int]) -> set[int]:
    """Take one seat in each of the runs that has one free, in one statement; the ids of
    the runs where a seat was taken."""
    ids = sorted(set(run_ids))
    if not ids:
        return set()
    # Pending rows first (the registration's audit event), as the session would before
    # a statement of its own; then the statement on the session's connection.
    db.session.flush()
    return set(db.session.connection().execute(_take_seats_statement(), {"ids": ids}).scalars())


@lru_cache(maxsize=1)
def _take_seats_statement():
    # Built once per process, and run as plain SQL: the ORM's bulk UPDATE machinery
    # (the session need not learn anything: counters are read fresh where shown) cost
    # more than the statement.
    return (
        update(Run)
        .where(Run.id.in_(bindparam("ids", expanding=True)), Run.taken < Run.capacity)
        .where(Run.status == RunStatus.SCHEDULED)
        .values(taken=Run.taken + 1)
        .returning(Run.id)
    )


def lock_runs(run_ids) -> None:
    """Lock the runs a change will touch, in id order, before touching any of them.

    On PostgreSQL two changes that touch the same runs in different orders (a switch
    from A to B and one from B to A) would otherwise deadlock. SQLite needs nothing:
    its write transactions already run one at a time.
    """
    ids = sorted(set(run_ids))
    if ids and db.engine.dialect.name != "sqlite":
        db.session.execute(_lock_runs_statement(), {"ids": ids})


@lru_cache(maxsize=1)
def _lock_runs_statement():
    return (
        select(Run.id).where(Run.id.in_(bindparam("ids", expanding=True))).order_by(Run.id).with_for_update()
    )


def give_back_seat(run_id: int) -> None:
    db.session.execute(
        update(Run)
        .where(Run.id == run_id, Run.taken > 0)
        .values(taken=Run.taken - 1)
        .execution_options(synchronize_session=False)
    )


def _end_choice(choice: RunChoice, status: ChoiceStatus, now: datetime, actor: User | None) -> bool:
    """Move a current choice to an end state, once (True if this call did it)."""
    result = db.session.execute(
        update(RunChoice)
        .where(RunChoice.id == choice.id, RunChoice.status == choice.status)
        .values(status=status, ended_at=now, ended_by_id=getattr(actor, "id", None))
        .execution_options(synchronize_session=False)
    )
    db.session.expire(choice)
    return result.rowcount == 1


def promote_waiting(run_id: int, now: datetime, changes: Changes) -> None:
    """Give free seats of a run to the people waiting for it, oldest first.

    A promoted learner who held a seat in the module's other run gives that seat back,
    which may promote someone waiting there in turn.
    """
    while True:
        candidate = db.session.scalar(
            select(RunChoice)
            .where(RunChoice.run_id == run_id, RunChoice.status == ChoiceStatus.WAITING)
            .order_by(RunChoice.id)
            .limit(1)
        )
        if candidate is None or not take_seat(run_id):
            return
        previous_seat = _current_choice(candidate.user_id, candidate.module_id, ChoiceStatus.CONFIRMED)
        if previous_seat is not None and _end_choice(previous_seat, ChoiceStatus.SWITCHED, now, None):
            give_back_seat(previous_seat.run_id)
            changes.released.append(previous_seat)
        claimed = db.session.execute(
            update(RunChoice)
            .where(RunChoice.id == candidate.id, RunChoice.status == ChoiceStatus.WAITING)
            .values(status=ChoiceStatus.CONFIRMED, confirmed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.expire(candidate)
        if claimed != 1:
            give_back_seat(run_id)
            continue
        changes.promoted.append(candidate)
        if previous_seat is not None:
            promote_waiting(previous_seat.run_id, now, changes)


def _current_choice(user_id: int, module_id: int, status: ChoiceStatus) -> RunChoice | None:
    return db.session.scalar(
        select(RunChoice).where(
            RunChoice.user_id == user_id, RunChoice.module_id == module_id, RunChoice.status == status
        )
    )


# -- reading -----------------------------------------------------------------------


def is_registered(user, course_id: int) -> bool:
    """True when the signed-in ``user`` has an active registration for the course."""
    if user is None or not user.is_authenticated:
        return False
    found = db.session.scalar(_is_registered_statement(), {"user_id": user.id, "course_id": course_id})
    return found is not None


# The statements below are built once per process (the course page, the registration
# form and its POST ask): building one cost more than running it.
@lru_cache(maxsize=1)
def _is_registered_statement():
    return select(Registration.id).where(
        Registration.user_id == bindparam("user_id"),
        Registration.course_id == bindparam("course_id"),
        Registration.status == RegistrationStatus.ACTIVE,
    )


def find_registration(user: User, course: Course | ShownEdition) -> Registration | None:
    """The learner's registration for the course, without its choices: the pages that
    ask (course page, registration form, progress) only look at whether it is active."""
    return db.session.scalar(_registration_statement(), {"user_id": user.id, "course_id": course.id})


@lru_cache(maxsize=1)
def _registration_statement():
    return select(Registration).where(
        Registration.user_id == bindparam("user_id"), Registration.course_id == bindparam("course_id")
    )


@dataclass(frozen=True)
class Unchosen:
    """A module where the learner holds neither a seat nor a waiting place, because
    the run they had was cancelled: ``ended`` is that choice (None if there was none)."""

    module: Module
    ended: RunChoice | None


def modules_to_choose(registration: Registration) -> list[Unchosen]:
    """The modules of an active registration that need a run again (no queries of
    its own once the choices, runs and modules are loaded, as lms.enrollment.schedule
    reads them)."""
    current = {choice.module_id for choice in registration.current_choices()}
    cancelled = {
        choice.module_id: choice
        for choice in registration.choices
        if choice.status == ChoiceStatus.CANCELLED
        and choice.run.is_cancelled
        and choice.ended_at == choice.run.cancelled_at
    }
    return [
        Unchosen(module, cancelled.get(module.id))
        for module in registration.course.modules
        if module.id not in current
    ]


def runs_to_move_to(registration: Registration, now: datetime) -> dict[int, list[Run]]:
    """{module id: the runs the learner may still take a seat in (or wait for)}, by the
    rules ``switch_run`` applies: not cancelled, not a run they already hold or wait
    in, before the run's change deadline, and none while they hold a seat in the module
    whose own deadline has passed. No queries of its own once the registration's
    course, modules, runs and choices are loaded (lms.enrollment.schedule)."""
    course = registration.course
    current = registration.current_choices()
    in_runs = {choice.run_id for choice in current}
    locked = {
        choice.module_id
        for choice in current
        if choice.is_confirmed and now > change_deadline(course, choice.run)
    }
    return {
        module.id: []
        if module.id in locked
        else [
            run
            for run in module.runs
            if not run.is_cancelled and run.id not in in_runs and now <= change_deadline(course, run)
        ]
        for module in course.modules
    }


def waiting_positions(choices: list[RunChoice]) -> dict[int, int]:
    """Waiting-list positions of several choices in one query: {choice id: position}."""
    waiting = [choice for choice in choices if choice.is_waiting]
    if not waiting:
        return {}
    run_ids = {choice.run_id for choice in waiting}
    rows = db.session.execute(
        select(RunChoice.id, RunChoice.run_id)
        .where(RunChoice.run_id.in_(run_ids), RunChoice.status == ChoiceStatus.WAITING)
        .order_by(RunChoice.run_id, RunChoice.id)
    ).all()
    positions, counters = {}, {}
    for choice_id, run_id in rows:
        counters[run_id] = counters.get(run_id, 0) + 1
        positions[choice_id] = counters[run_id]
    return {choice.id: positions[choice.id] for choice in waiting if choice.id in positions}


def join_link_visible(choice: RunChoice, now: datetime) -> bool:
    run = choice.run
    return (
        choice.is_confirmed
        and not run.is_cancelled
        and bool(run.join_url)
        and run.starts_at - JOIN_LINK_OPENS_BEFORE <= now <= run.ends_at
    )


def change_deadline(course: Course, run: Run) -> datetime:
    """The last moment a learner may switch into or out of ``run`` (or cancel)."""
    return run.starts_at - timedelta(hours=course.change_cutoff_hours)


# -- registering -------------------------------------------------------------------


def check_window(course: Course | ShownEdition, now: datetime) -> None:
    state = course.registration_state(now)
    if not course.is_published or state == RegistrationState.CLOSED:
        raise ServiceError(
            _l(
                "Registration for this course is closed, so nothing was saved. Contact the organisers if you need help."
            )
        )
    if state == RegistrationState.NOT_YET_OPEN:
        raise ServiceError(_l("Registration for this course has not opened yet, so nothing was saved."))


def register(
    user: User,
    course: Course | ShownEdition,
    picks: dict[int, Pick],
    *,
    accepted_privacy: bool,
    consents: Iterable[Purpose] = (),
    now: datetime | None = None,
) -> tuple[Registration, Changes]:
    """Register ``user`` with one pick per module, all or nothing.

    ``picks`` maps module id to the chosen run. Raises ServiceError (nothing saved)
    when the window is closed, a pick is missing or foreign, a run is cancelled or
    started, or a chosen run is full and the learner did not ask to wait.
    ``accepted_privacy`` is the consent to take part; ``consents`` the optional purposes
    ticked on the form, recorded with it under the notice in force. ``course`` may be the
    mapped edition or its lean copy (the registration form's): only its dates, modules,
    runs and ids are read.

    Everything is read first, then the writes begin (``begin_writing``: on SQLite the
    write lock is held for them alone). What was read may be a moment old by then, so
    the writes re-check in the database what they rely on: a seat is taken only if one
    is free (a conditional UPDATE), a cancelled registration is reopened only if still
    cancelled, a second registration of the same learner breaks a unique constraint.
    """
    now = now or utcnow()
    check_window(course, now)
    if not accepted_privacy:
        raise FieldError("consent_course", COURSE_CONSENT_MISSING)
    runs_by_module = _validate_picks(course, picks, now)
    pending_consents = consents_to_record(user, {Purpose.COURSE, *consents})
    existing = find_registration(user, course)
    if existing is not None and existing.is_active:
        raise ServiceError(ALREADY_REGISTERED)

    begin_writing()
    record_consents(user, pending_consents, How.REGISTRATION, now)
    registration = _open_registration(user, course, existing, now)
    db.session.flush()
    record(REGISTERED, registration, actor=user, course_id=course.id)
    # On PostgreSQL the runs' rows stay locked from here to the commit: as few
    # statements as possible follow (the seats in one UPDATE, then one flush).
    lock_runs(run.id for run in runs_by_module.values())
    seated = take_seats(run.id for run in runs_by_module.values())
    changes = Changes()
    for module in course.modules:
        run = runs_by_module[module.id]
        if run.id in seated:
            changes.confirmed.append(_add_choice(registration, module, run, ChoiceStatus.CONFIRMED, now))
        elif picks[module.id].wait_if_full:
            _check_not_cancelled_since(module, run)
            changes.waiting.append(_add_choice(registration, module, run, ChoiceStatus.WAITING, now))
        else:
            raise RunFull(module, run)
    notify.registered(registration, changes)
    return registration, changes


ALREADY_REGISTERED = _l("You are already registered for this course. Your choices are on My schedule.")


def _check_not_cancelled_since(module: Module | ShownModule, run: Run | ShownRun) -> None:
    """A run found full may have been cancelled since the picks were checked (a
    cancelled run takes no seat): nobody waits for a cancelled run."""
    if db.session.scalar(select(Run.status).where(Run.id == run.id)) == RunStatus.CANCELLED:
        raise ServiceError(_run_cancelled(module, run))


def _run_cancelled(module: Module | ShownModule, run: Run | ShownRun):
    return _l(
        "%(run)s of module %(position)s has been cancelled. Please choose the other run.",
        run=tr_text(run.label) or run.key,
        position=module.position,
    )


def _validate_picks(
    course: Course | ShownEdition, picks: dict[int, Pick], now: datetime
) -> dict[int, Run | ShownRun]:
    runs_by_module = {}
    for module in course.modules:
        pick = picks.get(module.id)
        if pick is None:
            raise ServiceError(_l("Please choose a run for module %(position)s.", position=module.position))
        run = next((run for run in module.runs if run.id == pick.run_id), None)
        if run is None:
            raise ServiceError(
                _l(
                    "The run chosen for module %(position)s does not belong to it. Please reload the page and choose again.",
                    position=module.position,
                )
            )
        if run.is_cancelled:
            raise ServiceError(_run_cancelled(module, run))
        if run.starts_at <= now:
            raise ServiceError(
                _l(
                    "%(run)s of module %(position)s has already started. Please choose the other run.",
                    run=tr_text(run.label) or run.key,
                    position=module.position,
                )
            )
        runs_by_module[module.id] = run
    foreign = set(picks) - {module.id for module in course.modules}
    if foreign:
        raise ServiceError(
            _l("The form contained a module of another course. Please reload the page and choose again.")
        )
    return runs_by_module


def _open_registration(
    user: User, course: Course | ShownEdition, existing: Registration | None, now: datetime
) -> Registration:
    """A new registration, or ``existing`` (cancelled when it was read) reopened."""
    if existing is None:
        registration = Registration(
            user_id=user.id, course_id=course.id, privacy_accepted_at=now, created_at=now
        )
        db.session.add(registration)
        return registration
    # Registering again after cancelling: the old choices stay as history. Only if it is
    # still cancelled: the same learner's other request may have reopened it meanwhile.
    reopened = db.session.execute(
        update(Registration)
        .where(Registration.id == existing.id, Registration.status == RegistrationStatus.CANCELLED)
        .values(
            status=RegistrationStatus.ACTIVE, privacy_accepted_at=now, cancelled_at=None, cancelled_by_id=None
        )
        .execution_options(synchronize_session="evaluate")
    ).rowcount
    if reopened != 1:
        raise ServiceError(ALREADY_REGISTERED)
    return existing


def _add_choice(
    registration: Registration,
    module: Module | ShownModule,
    run: Run | ShownRun,
    status: ChoiceStatus,
    now: datetime,
) -> RunChoice:
    choice = RunChoice(
        registration=registration,
        user_id=registration.user_id,
        module_id=module.id,
        run_id=run.id,
        status=status,
        created_at=now,
        confirmed_at=now if status == ChoiceStatus.CONFIRMED else None,
    )
    db.session.add(choice)
    return choice


# -- changing ----------------------------------------------------------------------


def _check_can_change(registration: Registration, user: User, run: Run, now: datetime) -> None:
    if registration.user_id != user.id or not registration.is_active:
        raise ServiceError(_l("This registration is not yours or has been cancelled."))
    if now > change_deadline(registration.course, run):
        raise ServiceError(
            _l("Changes to %(run)s closed %(hours)s hours before it starts. Contact the organisers if you need help.",
               run=tr_text(run.label) or run.key, hours=registration.course.change_cutoff_hours)
        )  # fmt: skip


def switch_run(
    user: User, registration: Registration, target_run_id: int, now: datetime | None = None
) -> Changes:
    """Move the learner's seat in a module to the module's run ``target_run_id``.

    With a free seat the switch happens at once and the old seat goes to the first
    person waiting for it. When the target is full the learner joins its waiting
    list and keeps the current seat until promoted.
    """
    now = now or utcnow()
    course = registration.course
    target = db.session.get(Run, target_run_id)
    if target is None or target.module.course_id != course.id:
        raise ServiceError(
            _l("This run does not belong to your course. Please reload the page and choose again.")
        )
    if target.is_cancelled:
        raise ServiceError(_l("This run has been cancelled. Please choose another one."))
    _check_can_change(registration, user, target, now)
    seat = _current_choice(user.id, target.module_id, ChoiceStatus.CONFIRMED)
    waiting = _current_choice(user.id, target.module_id, ChoiceStatus.WAITING)
    if seat is not None and seat.run_id == target.id:
        raise ServiceError(_l("You already have a seat in this run."))
    if waiting is not None and waiting.run_id == target.id:
        raise ServiceError(_l("You are already on the waiting list of this run."))
    if seat is not None:
        _check_can_change(registration, user, seat.run, now)
    lock_runs(run.id for run in target.module.runs)
    changes = Changes()
    if waiting is not None and _end_choice(waiting, ChoiceStatus.LEFT, now, user):
        changes.released.append(waiting)
    if take_seat(target.id):
        if seat is not None and _end_choice(seat, ChoiceStatus.SWITCHED, now, user):
            give_back_seat(seat.run_id)
            changes.released.append(seat)
        changes.confirmed.append(
            _add_choice(registration, target.module, target, ChoiceStatus.CONFIRMED, now)
        )
        db.session.flush()
        if seat is not None:
            promote_waiting(seat.run_id, now, changes)
    else:
        changes.waiting.append(_add_choice(registration, target.module, target, ChoiceStatus.WAITING, now))
        db.session.flush()
    record(RUN_SWITCHED, registration, actor=user, course_id=course.id, run_id=target.id,
           outcome="confirmed" if changes.confirmed else "waiting")  # fmt: skip
    notify.changed(registration, changes)
    notify.promoted(changes)
    return changes


def leave_waiting_list(user: User, choice: RunChoice, now: datetime | None = None) -> None:
    now = now or utcnow()
    if choice.user_id != user.id or not choice.is_waiting:
        raise ServiceError(_l("You are not on this waiting list."))
    _end_choice(choice, ChoiceStatus.LEFT, now, user)
    db.session.flush()


def cancel_registration(
    user: User, registration: Registration, now: datetime | None = None, actor: User | None = None
) -> Changes:
    """Cancel the whole registration; freed seats go to the people waiting.

    Learners may cancel until the change cut-off of their first current run;
    organisers (``actor`` other than the learner) at any time.
    """
    now = now or utcnow()
    actor = actor or user
    if registration.user_id != user.id or not registration.is_active:
        raise ServiceError(_l("This registration is not yours or has been cancelled."))
    current = registration.current_choices()
    if actor.id == user.id:
        for choice in current:
            _check_can_change(registration, user, choice.run, now)
    lock_runs(run.id for module in registration.course.modules for run in module.runs)
    changes = Changes()
    for choice in current:
        was_confirmed = choice.is_confirmed
        if _end_choice(choice, ChoiceStatus.CANCELLED, now, actor):
            changes.released.append(choice)
            if was_confirmed:
                give_back_seat(choice.run_id)
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.cancelled_by_id = actor.id
    db.session.flush()
    for run_id in {choice.run_id for choice in changes.released}:
        promote_waiting(run_id, now, changes)
    record(REGISTRATION_CANCELLED, registration, actor=actor, course_id=registration.course_id)
    notify.cancelled(registration, changes)
    notify.promoted(changes)
    return changes


def set_capacity(run: Run, capacity: int, actor: User, now: datetime | None = None) -> Changes:
    """Change a run's capacity (never below the seats taken); a raise promotes at once."""
    now = now or utcnow()
    lock_runs(other.id for other in run.module.runs)
    db.session.refresh(run)
    if capacity < run.taken:
        raise ServiceError(
            _l(
                "%(taken)s seats are already taken, so the capacity cannot be lower than that.",
                taken=run.taken,
            )
        )
    previous = run.capacity
    run.capacity = capacity
    db.session.flush()
    changes = Changes()
    promote_waiting(run.id, now, changes)
    record(
        CAPACITY_CHANGED, run, actor=actor, course_id=run.module.course_id, before=previous, after=capacity
    )
    notify.promoted(changes)
    return changes


def waiting_counts(course: Course | ShownEdition) -> dict[int, int]:
    """How many people wait for each run of the course: {run id: count}.

    By the course's run ids (its modules and runs are loaded with it)."""
    return waiting_counts_of(run.id for module in course.modules for run in module.runs)


def waiting_counts_of(run_ids: Iterable[int]) -> dict[int, int]:
    """How many people wait for each of these runs: {run id: count}, runs nobody waits
    for left out; no query for no runs.

    Through the (run, status) index: joining the modules made SQLite read every waiting
    choice of every edition, a sixth of the registration form's time with 10,000 learners."""
    ids = sorted(set(run_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(RunChoice.run_id, db.func.count(RunChoice.id))
        .where(RunChoice.run_id.in_(ids), RunChoice.status == ChoiceStatus.WAITING)
        .group_by(RunChoice.run_id)
    ).all()
    return dict(rows)


def course_registrants(course: Course) -> list[RunChoice]:
    """Every current choice of the course with its learner, for the organiser's lists."""
    return list(
        db.session.scalars(
            select(RunChoice)
            .join(Module, Module.id == RunChoice.module_id)
            .where(
                Module.course_id == course.id,
                RunChoice.status.in_([ChoiceStatus.CONFIRMED, ChoiceStatus.WAITING]),
            )
            .options(selectinload(RunChoice.user))
            .order_by(RunChoice.run_id, RunChoice.status, RunChoice.id)
        )
    )


# -- a run's places, for the organisers' changes to runs ------------------------------


def current_choices(run: Run) -> list[RunChoice]:
    """Seats and waiting places in the run (active registrations), with their learners."""
    return list(
        db.session.scalars(
            select(RunChoice)
            .join(Registration, Registration.id == RunChoice.registration_id)
            .where(
                RunChoice.run_id == run.id,
                RunChoice.status.in_([ChoiceStatus.CONFIRMED, ChoiceStatus.WAITING]),
                Registration.status == RegistrationStatus.ACTIVE,
            )
            .options(joinedload(RunChoice.user))
            .order_by(RunChoice.id)
        )
    )


def forget_reminders(run: Run) -> None:
    """A reminder sent for the run's old time says nothing about its new one."""
    db.session.execute(
        update(RunChoice)
        .where(RunChoice.run_id == run.id, RunChoice.status == ChoiceStatus.CONFIRMED)
        .values(reminder_sent_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def end_places_in_run(run: Run, now: datetime, actor: User) -> tuple[list[RunChoice], dict[int, bool]]:
    """Every seat and waiting place in the run ends (cancelled with who and when), its
    seat count drops to zero; returns the places as they were and which were seats."""
    lock_runs(other.id for other in run.module.runs)
    choices = current_choices(run)
    was_confirmed = {choice.id: bool(choice.is_confirmed) for choice in choices}
    db.session.execute(
        update(RunChoice)
        .where(
            RunChoice.run_id == run.id, RunChoice.status.in_([ChoiceStatus.CONFIRMED, ChoiceStatus.WAITING])
        )
        .values(status=ChoiceStatus.CANCELLED, ended_at=now, ended_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    run.taken = 0
    db.session.flush()
    for choice in choices:
        db.session.refresh(choice)
    return choices, was_confirmed


def seats_in_module(module: Module, user_ids: list[int]) -> dict[int, RunChoice]:
    """{learner id: seat} for the learners holding a seat in another run of the module."""
    if not user_ids:
        return {}
    seats = db.session.scalars(
        select(RunChoice)
        .where(
            RunChoice.module_id == module.id,
            RunChoice.user_id.in_(user_ids),
            RunChoice.status == ChoiceStatus.CONFIRMED,
        )
        .options(joinedload(RunChoice.run))
    )
    return {seat.user_id: seat for seat in seats}
