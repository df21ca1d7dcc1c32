"""Who a message goes to: a scope (the edition, a module or a run) and a named filter.

Each filter is one function registered under its name, returning the ids of the people
of the scope it selects. Every filter asks the rule's own home: seats and waiting places
are enrollment's states, attendance marks are judged by ``lms.completion.rules`` (the best
mark of a module by ``completion.edition.best_statuses``), completion by
``completion.edition.edition_progress``, evaluations by ``lms.evaluations.answering``
and certificates by their status. A new audience is one more function here.

Everyone selected holds an active registration in the edition: a learner who cancelled
gets no more messages about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.attendance.models import Attendance, AttendanceStatus
from lms.catalogue.models import Course, Module, Run
from lms.certificates.models import Certificate, CertificateStatus
from lms.completion import rules
from lms.completion.edition import attended_modules, best_statuses, edition_progress, load_evidence
from lms.db import utcnow
from lms.enrollment.models import ChoiceStatus, Registration, RegistrationStatus, RunChoice
from lms.evaluations.answering import not_yet_answered
from lms.extensions import db


@dataclass(frozen=True)
class Scope:
    """The edition, one of its modules, or one run of a module (``module`` is then the run's)."""

    course: Course
    module: Module | None = None
    run: Run | None = None

    @property
    def module_ids(self) -> list[int]:
        if self.module is not None:
            return [self.module.id]
        return [module.id for module in self.course.modules]


@dataclass(frozen=True)
class Audience:
    name: str
    label: object  # a lazy translated string
    select: Callable[[Scope], set[int]]
    # Messages to this audience are about the recipients' own seats or waiting places,
    # so they reach those who turned optional messages off.
    concerns_seats: bool = False


AUDIENCES: dict[str, Audience] = {}


def audience(name: str, label, *, concerns_seats: bool = False):
    """Register the decorated function as the filter ``name``."""

    def register(select_ids: Callable[[Scope], set[int]]):
        AUDIENCES[name] = Audience(name, label, select_ids, concerns_seats)
        return select_ids

    return register


def audience_named(name: str) -> Audience | None:
    return AUDIENCES.get(name)


# -- the people of a scope ------------------------------------------------------------


def registered(scope: Scope) -> set[int]:
    """Learners with an active registration in the edition."""
    return set(
        db.session.scalars(
            select(Registration.user_id).where(
                Registration.course_id == scope.course.id, Registration.status == RegistrationStatus.ACTIVE
            )
        )
    )


def _choices(scope: Scope, statuses: tuple[str, ...]) -> set[int]:
    """Learners whose place (in ``statuses``) is in the scope, in an active registration."""
    statement = (
        select(RunChoice.user_id)
        .join(Registration, Registration.id == RunChoice.registration_id)
        .where(
            Registration.course_id == scope.course.id,
            Registration.status == RegistrationStatus.ACTIVE,
            RunChoice.status.in_(statuses),
        )
    )
    if scope.run is not None:
        statement = statement.where(RunChoice.run_id == scope.run.id)
    elif scope.module is not None:
        statement = statement.where(RunChoice.module_id == scope.module.id)
    return set(db.session.scalars(statement))


def members(scope: Scope) -> set[int]:
    """Everyone of the scope: the edition's registered learners, or those holding a seat
    or waiting in the module or run."""
    if scope.module is None:
        return registered(scope)
    return _choices(scope, (ChoiceStatus.CONFIRMED, ChoiceStatus.WAITING))


def _marked(scope: Scope, judge: Callable[[str], bool]) -> set[int]:
    """Learners whose mark in the run, or best mark in a module of the scope, ``judge``
    accepts (the best mark of a module is the completion rule's)."""
    if scope.run is not None:
        statuses = db.session.execute(
            select(Attendance.user_id, Attendance.status).where(Attendance.run_id == scope.run.id)
        )
        found = {user_id for user_id, status in statuses if judge(status)}
    else:
        wanted = set(scope.module_ids)
        found = {
            user_id
            for (user_id, module_id), status in best_statuses(scope.course).items()
            if module_id in wanted and judge(status)
        }
    return found & registered(scope)


# -- the filters --------------------------------------------------------------------------


@audience("everyone", _l("Everyone"))
def everyone(scope: Scope) -> set[int]:
    return members(scope)


@audience("seat", _l("Holding a seat"), concerns_seats=True)
def holding_seat(scope: Scope) -> set[int]:
    return _choices(scope, (ChoiceStatus.CONFIRMED,))


@audience("waiting", _l("On the waiting list"), concerns_seats=True)
def waiting(scope: Scope) -> set[int]:
    return _choices(scope, (ChoiceStatus.WAITING,))


@audience("attended", _l("Attended (present or late)"))
def attended(scope: Scope) -> set[int]:
    if scope.run is not None:
        return _marked(scope, rules.attended)
    # Present or late in a run of the module is what completion calls attended (the
    # best mark is then one of them), read without the other marks.
    wanted = set(scope.module_ids)
    found = {user_id for user_id, modules in attended_modules(scope.course).items() if modules & wanted}
    return found & registered(scope)


@audience("absent", _l("Marked absent"))
def absent(scope: Scope) -> set[int]:
    return _marked(scope, lambda status: status == AttendanceStatus.ABSENT)


@audience("incomplete", _l("Not yet complete"))
def not_yet_complete(scope: Scope) -> set[int]:
    """The scope's people who have not completed it: the edition's every module, or the
    scope's module (a run's module), by the completion rule."""
    people = sorted(members(scope))
    # The whole edition's evidence (a fixed number of queries), not a list of ids that
    # could outgrow a database's limit on parameters.
    progress = edition_progress(scope.course, people, load_evidence(scope.course))
    module_ids = scope.module_ids
    if scope.module is None:
        return {user_id for user_id in people if not progress[user_id].complete(module_ids)}
    return {user_id for user_id in people if scope.module.id not in progress[user_id].done}


@audience("not_evaluated", _l("Not yet evaluated (an evaluation open to them, unanswered)"))
def not_yet_evaluated(scope: Scope) -> set[int]:
    """Those who attended an ended run of a module of the scope and have not answered its
    evaluation while it is open (the evaluations' own opening rule)."""
    return not_yet_answered(scope.course, scope.module_ids, utcnow()) & members(scope)


@audience("certified", _l("Certified"))
def certified(scope: Scope) -> set[int]:
    holders = set(
        db.session.scalars(
            select(Certificate.user_id).where(
                Certificate.course_id == scope.course.id, Certificate.status == CertificateStatus.VALID
            )
        )
    )
    return holders & members(scope)
