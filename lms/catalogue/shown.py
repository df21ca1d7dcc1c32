"""A published edition as its page shows it, read lean: the edition, its modules, runs
and their trainers' names in two queries of plain columns (statements built once per
process), as plain objects.

The course page (signed in: guests get it from the shared cache) spent about a third of
its time having the ORM build some twenty mapped objects from four queries; these rows
cost a fraction of that. The objects take what dates, states and seats mean from the
same mixins as the mapped classes (``EditionState``, ``RunState``), so each rule keeps its
one home; pages that change an edition, or need more of it, use the mapped classes
(``services.find_published_course``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, select

from lms.accounts.models import User
from lms.catalogue.models import Course, CourseStatus, EditionState, Module, Run, RunState, run_trainer
from lms.db import TranslatedTexts, stored_json
from lms.extensions import db


@dataclass(frozen=True)
class ShownTrainer:
    full_name: str


@dataclass(eq=False)
class ShownRun(RunState):
    id: int
    key: str
    label: dict
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int
    status: str
    trainers: list[ShownTrainer] = field(default_factory=list)  # by name, as Run.trainers


@dataclass(eq=False)
class ShownModule:
    id: int
    key: str
    position: int
    title: dict
    duration_minutes: int
    runs: list[ShownRun] = field(default_factory=list)  # by start


@dataclass(eq=False)
class ShownEdition(EditionState):
    id: int
    slug: str
    title: dict
    summary: dict
    organisers: dict
    audience: dict
    timezone: str
    registration_opens_at: datetime
    registration_closes_at: datetime
    status: str
    modules: list[ShownModule] = field(default_factory=list)  # by position


_EDITION = (
    Course.id,
    Course.slug,
    Course.title,
    Course.summary,
    Course.organisers,
    Course.audience,
    Course.timezone,
    Course.registration_opens_at,
    Course.registration_closes_at,
    Course.status,
)
# The modules' titles and runs' labels as stored JSON: every row repeats its module's
# title (a row per run and trainer), and runs' labels repeat across modules.
_MODULE = (Module.id, Module.key, Module.position, stored_json(Module.title), Module.duration_minutes)
_RUN = (
    Run.id,
    Run.key,
    stored_json(Run.label),
    Run.starts_at,
    Run.ends_at,
    Run.capacity,
    Run.taken,
    Run.status,
)


@lru_cache(maxsize=1)
def _edition_statement():
    return select(*_EDITION).where(Course.slug == bindparam("slug"), Course.status == CourseStatus.PUBLISHED)


@lru_cache(maxsize=1)
def _runs_statement():
    """One row per run and trainer (or per run without one, or module without runs)."""
    return (
        select(*_MODULE, *_RUN, User.full_name)
        .outerjoin(Run, Run.module_id == Module.id)
        .outerjoin(run_trainer, run_trainer.c.run_id == Run.id)
        .outerjoin(User, User.id == run_trainer.c.user_id)
        .where(Module.course_id == bindparam("course_id"))
        .order_by(Module.position, Run.starts_at, Run.id, User.full_name, User.id)
    )


def shown_edition(slug: str) -> ShownEdition | None:
    """The published edition with its modules, runs and trainers, or None."""
    connection = db.session.connection()
    row = connection.execute(_edition_statement(), {"slug": slug}).first()
    if row is None:
        return None
    edition = ShownEdition(*row)
    modules: dict[int, ShownModule] = {}
    runs: dict[int, ShownRun] = {}
    translated = TranslatedTexts()
    for row in connection.execute(_runs_statement(), {"course_id": edition.id}):
        module_row, run_row, trainer = row[:5], row[5:13], row[13]
        if module_row[0] not in modules:
            module_id, key, position, title, minutes = module_row
            modules[module_id] = ShownModule(module_id, key, position, translated(title), minutes)
            edition.modules.append(modules[module_id])
        if run_row[0] is not None and run_row[0] not in runs:
            run_id, run_key, label, *times_and_seats = run_row
            runs[run_id] = ShownRun(run_id, run_key, translated(label), *times_and_seats)
            modules[module_row[0]].runs.append(runs[run_id])
        if trainer is not None:
            runs[run_row[0]].trainers.append(ShownTrainer(trainer))
    return edition
