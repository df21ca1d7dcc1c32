"""Which scopes a person may write to in an edition, and reading the scope a form names.

Organisers write to the whole edition, any module or any run. Trainers write only to
the runs they teach and to the modules of those runs, and see only those messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from lms.accounts.models import Role
from lms.catalogue.models import Course, Module, Run, run_trainer
from lms.errors import FieldError
from lms.extensions import db
from lms.messages.audiences import Scope
from lms.messages.models import Message

EDITION = "edition"
NOT_THIS_EDITION = _l("That module or run is not part of this edition. Please choose one from the list.")
NOT_YOURS = _l("You can write only to the learners of the runs you teach (or their modules).")
UNKNOWN_SCOPE = _l("Please choose who the message is for: the edition, a module or a run.")


@dataclass(frozen=True)
class Allowed:
    """The scopes a person may write to in an edition (all of them for organisers)."""

    edition: bool
    module_ids: frozenset[int]
    run_ids: frozenset[int]


def taught_run_ids(user, course: Course) -> set[int]:
    return set(
        db.session.scalars(
            select(run_trainer.c.run_id)
            .join(Run, Run.id == run_trainer.c.run_id)
            .join(Module, Module.id == Run.module_id)
            .where(run_trainer.c.user_id == user.id, Module.course_id == course.id)
        )
    )


def allowed_scopes(user, course: Course) -> Allowed:
    runs = db.session.execute(
        select(Run.id, Run.module_id)
        .join(Module, Module.id == Run.module_id)
        .where(Module.course_id == course.id)
    ).all()
    if user.has_role(Role.ORGANISER):
        module_ids = db.session.scalars(select(Module.id).where(Module.course_id == course.id))
        return Allowed(True, frozenset(module_ids), frozenset(run_id for run_id, _ in runs))
    taught = taught_run_ids(user, course) if user.has_role(Role.TRAINER) else set()
    mine = [(run_id, module_id) for run_id, module_id in runs if run_id in taught]
    return Allowed(False, frozenset(m for _, m in mine), frozenset(r for r, _ in mine))


def scope_key(module_id: int | None, run_id: int | None) -> str:
    if run_id is not None:
        return f"run-{run_id}"
    if module_id is not None:
        return f"module-{module_id}"
    return EDITION


def resolve_scope(course: Course, key: str, allowed: Allowed) -> Scope:
    """The scope a form's ``key`` names (``edition``, ``module-<id>``, ``run-<id>``), or a
    FieldError on ``scope``: unknown, of another edition, or not the writer's to use."""
    kind, _, number = (key or "").partition("-")
    if kind == EDITION and not number:
        if not allowed.edition:
            raise FieldError("scope", NOT_YOURS)
        return Scope(course)
    if kind not in ("module", "run") or not number.isdigit() or len(number) > 12:
        raise FieldError("scope", UNKNOWN_SCOPE)
    if kind == "module":
        module = db.session.get(Module, int(number))
        if module is None or module.course_id != course.id:
            raise FieldError("scope", NOT_THIS_EDITION)
        if module.id not in allowed.module_ids:
            raise FieldError("scope", NOT_YOURS)
        return Scope(course, module)
    run = db.session.get(Run, int(number))
    if run is None or run.module.course_id != course.id:
        raise FieldError("scope", NOT_THIS_EDITION)
    if run.id not in allowed.run_ids:
        raise FieldError("scope", NOT_YOURS)
    return Scope(course, run.module, run)


def visible_messages(course: Course, allowed: Allowed):
    """A condition on Message: the messages of the edition this person may see."""
    condition = Message.course_id == course.id
    if allowed.edition:
        return condition
    return condition & or_(
        Message.run_id.in_(allowed.run_ids or [0]),
        Message.run_id.is_(None) & Message.module_id.in_(allowed.module_ids or [0]),
    )
