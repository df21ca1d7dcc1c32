"""Marking attendance: one current mark per learner and run, every change kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.attendance.models import Attendance, AttendanceChange, AttendanceStatus
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.models import Run
from lms.catalogue.services import can_manage_course
from lms.db import utcnow
from lms.enrollment.models import RunChoice, where_holding_seat
from lms.errors import ServiceError
from lms.extensions import db
from lms.signals import progress_changed

# The audit log's actions recorded here (lms.audit.actions).
ATTENDANCE_MARKED = declare_action(
    "attendance.marked",
    _l("Marked attendance"),
    changed=Detail(_l("Marks changed"), Shown.NUMBER),
)
ALL_PRESENT = declare_action(
    "attendance.all_present",
    _l("Marked everyone present"),
    changed=Detail(_l("Marks changed"), Shown.NUMBER),
)


STATUSES = [str(status) for status in AttendanceStatus]

# Where a mark came from. Imports use the platform's name ("zoom", "teams", "meet").
TYPED = "manual"  # typed on the attendance sheet by a trainer or organiser
CHECK_IN = "check-in"  # the learner typed the session's check-in code


def source_rank(source: str) -> int:
    """Precedence of a mark's source: typed (2) beats imported (1) beats check-in (0).
    The import keeps typed marks unless the trainer ticks them (report_import), and a
    check-in only ever fills an empty mark (check_in_mark)."""
    if source == TYPED:
        return 2
    return 0 if source == CHECK_IN else 1


def learners_of(run: Run) -> list[User]:
    """The learners holding a seat in the run (active registrations), by name."""
    return list(
        db.session.scalars(
            where_holding_seat(select(User).join(RunChoice, RunChoice.user_id == User.id))
            .where(RunChoice.run_id == run.id)
            .order_by(User.full_name, User.id)
        )
    )


def marks_for(run: Run) -> dict[int, Attendance]:
    """{learner id: current mark} for the run, with who marked it."""
    rows = db.session.scalars(
        select(Attendance).where(Attendance.run_id == run.id).options(selectinload(Attendance.marked_by))
    )
    return {row.user_id: row for row in rows}


@dataclass(frozen=True)
class Mark:
    status: str
    minutes: int | None = None
    note: str = ""


def check_may_mark(actor: User, run: Run) -> None:
    if not can_manage_course(actor, run.module.course_id):
        raise ServiceError(_l("Only the course's trainers and organisers can mark attendance."))


def mark(run: Run, learner_id: int, new: Mark, actor: User | None, source: str = TYPED,
         now: datetime | None = None) -> bool:  # fmt: skip
    """Set one learner's mark. Returns False (and writes nothing) when it is unchanged."""
    now = now or utcnow()
    if new.status not in STATUSES:
        raise ServiceError(_l("Unknown attendance status."))
    if new.minutes is not None and not 0 <= new.minutes <= _run_minutes(run):
        raise ServiceError(
            _l("Minutes must be between 0 and the length of the session (%(max)s).", max=_run_minutes(run))
        )
    current = db.session.scalar(
        select(Attendance).where(Attendance.run_id == run.id, Attendance.user_id == learner_id)
    )
    if current is not None and (current.status, current.minutes, current.note, current.source) == (
        new.status, new.minutes, new.note, source,
    ):  # fmt: skip
        return False
    if current is None:
        current = Attendance(run_id=run.id, user_id=learner_id)
        db.session.add(current)
    current.status, current.minutes, current.note, current.source = new.status, new.minutes, new.note, source
    current.marked_by_id = getattr(actor, "id", None)
    current.marked_at = now
    db.session.flush()
    db.session.add(AttendanceChange(attendance_id=current.id, status=new.status, minutes=new.minutes, note=new.note,
                                    source=source, changed_by_id=current.marked_by_id, changed_at=now))  # fmt: skip
    db.session.flush()
    progress_changed.send(run.module.course_id, user_ids=[learner_id])
    return True


def mark_many(run: Run, marks: dict[int, Mark], actor: User) -> int:
    """Marks for several learners of the run at once (the attendance sheet)."""
    check_may_mark(actor, run)
    allowed = {learner.id for learner in learners_of(run)}
    unknown = set(marks) - allowed
    if unknown:
        raise ServiceError(
            _l("The sheet named a learner who has no seat in this session. Please reload the page.")
        )
    current = marks_for(run)
    changed = sum(
        mark(run, learner_id, value, actor)
        for learner_id, value in marks.items()
        if not _same_mark(current.get(learner_id), value)
    )
    if changed:
        record(ATTENDANCE_MARKED, run, actor=actor, course_id=run.module.course_id, changed=changed)
    return changed


def _same_mark(current: Attendance | None, new: Mark) -> bool:
    """A row of the sheet sent back unchanged keeps its mark and its source (an imported
    or checked-in mark does not become "typed" because the sheet was saved)."""
    return current is not None and (current.status, current.minutes, current.note) == (
        new.status, new.minutes, new.note,
    )  # fmt: skip


def check_in_mark(run: Run, learner: User, now: datetime) -> bool:
    """Present by check-in, unless the learner already has a mark: a check-in never
    changes a typed or imported mark (nor an earlier check-in, nor an excused)."""
    if (
        db.session.scalar(
            select(Attendance.id).where(Attendance.run_id == run.id, Attendance.user_id == learner.id)
        )
        is not None
    ):
        return False
    return mark(run, learner.id, Mark(AttendanceStatus.PRESENT), learner, source=CHECK_IN, now=now)


def mark_all_present(run: Run, actor: User) -> int:
    """Everyone without a mark yet becomes present; existing marks are kept."""
    check_may_mark(actor, run)
    existing = marks_for(run)
    todo = {
        learner.id: Mark(AttendanceStatus.PRESENT)
        for learner in learners_of(run)
        if learner.id not in existing
    }
    changed = sum(mark(run, learner_id, value, actor) for learner_id, value in todo.items())
    record(ALL_PRESENT, run, actor=actor, course_id=run.module.course_id, changed=changed)
    return changed


def _run_minutes(run: Run) -> int:
    return int((run.ends_at - run.starts_at).total_seconds() // 60)
