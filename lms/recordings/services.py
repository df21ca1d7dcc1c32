"""Adding a run's recording, who may watch it, and the email to those who missed it."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from lms.accounts.models import Role, User
from lms.attendance.models import Attendance, AttendanceStatus
from lms.audit.actions import Detail, declare_action
from lms.audit.models import record
from lms.catalogue.models import Module, Run
from lms.catalogue.services import can_manage_course
from lms.db import utcnow
from lms.deadlines import last_instant
from lms.enrollment.models import RunChoice, where_holding_seat
from lms.errors import ServiceError
from lms.extensions import db
from lms.mail.outbox import queue_email
from lms.materials.services import clean_link, store_file
from lms.recordings.models import Recording

RECORDING_ADDED = declare_action(
    "recording.added",
    _l("Added a session recording"),
    kind=Detail(_l("Kind")),
    expires=Detail(_l("Expires")),
)

# The file types a recording may be (lms.materials.filetypes): a video, or slides with
# the talk's notes when there is no video.
RECORDING_TYPES = ["mp4", "pdf"]
MISSED = (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)


def may_add(user: User, run: Run) -> bool:
    """The run's own trainers and organisers."""
    return user.is_authenticated and (user in run.trainers or user.has_role(Role.ORGANISER))


def _expiry(run: Run, expires_on: date | None, now: datetime) -> datetime:
    if expires_on is None:
        raise ServiceError(_l("Please choose the day the recording expires."))
    zone = run.module.course.zone
    expires_at = last_instant(datetime.combine(expires_on, time(23, 59), tzinfo=zone))
    if expires_at <= now:
        raise ServiceError(_l("The expiry date must be in the future."))
    return expires_at


def add_recording(
    run: Run,
    actor: User,
    expires_on: date | None,
    *,
    url: str = "",
    filename: str = "",
    stream: BinaryIO | None = None,
    now: datetime | None = None,
) -> Recording:
    """A link (``url``) or a file (``filename`` and ``stream``, checked and stored as a
    material's file is). Refused for a run that has not taken place yet or is cancelled."""
    now = now or utcnow()
    if not may_add(actor, run):
        raise ServiceError(_l("Only the session's trainers and the organisers can add its recording."))
    if run.is_cancelled:
        raise ServiceError(_l("This session is cancelled: it has no recording."))
    if run.ends_at > now:
        raise ServiceError(_l("A recording can be added once the session has taken place."))
    expires_at = _expiry(run, expires_on, now)
    first = not db.session.scalar(select(Recording.id).where(Recording.run_id == run.id).limit(1))
    recording = Recording(run_id=run.id, expires_at=expires_at, added_by_id=actor.id, added_at=now)
    if stream is not None and filename:
        stored = store_file(filename, stream, RECORDING_TYPES)
        recording.storage_key, recording.filename = stored.key, stored.filename
        recording.content_type, recording.size, recording.sha256 = (
            stored.content_type,
            stored.size,
            stored.sha256,
        )
    elif url.strip():
        recording.url = clean_link(url)
    else:
        raise ServiceError(_l("Please give the recording's web address or choose its file."))
    db.session.add(recording)
    db.session.flush()
    record(RECORDING_ADDED, run, actor=actor, course_id=run.module.course_id,
           kind="file" if recording.is_file else "link", expires=expires_at.isoformat())  # fmt: skip
    if first:  # those who missed the session hear of it once, with its first recording
        for learner in learners_who_missed(run.module):
            queue_email(learner, "recording_added", course_id=run.module.course_id, recording_id=recording.id)
    return recording


def learners_who_missed(module: Module) -> list[User]:
    """Learners holding a seat in a run of the module, marked absent or excused there
    and present or late in none of its runs."""
    run_ids = select(Run.id).where(Run.module_id == module.id)
    seated = where_holding_seat(select(RunChoice.user_id)).where(RunChoice.run_id.in_(run_ids))
    attended = select(Attendance.user_id).where(
        Attendance.run_id.in_(run_ids),
        Attendance.status.in_([AttendanceStatus.PRESENT, AttendanceStatus.LATE]),
    )
    return list(
        db.session.scalars(
            select(User)
            .join(Attendance, Attendance.user_id == User.id)
            .where(
                Attendance.run_id.in_(run_ids),
                Attendance.status.in_(list(MISSED)),
                User.id.in_(seated),
                User.id.not_in(attended),
            )
            .distinct()
            .order_by(User.id)
        )
    )


def seat_in_module(user_id, module_id):
    """The user's seats in the module's runs, as a statement to test or to embed (the ids
    as values, or as bound parameters in a statement built once)."""
    return where_holding_seat(select(RunChoice.id).join(Run, Run.id == RunChoice.run_id)).where(
        Run.module_id == module_id, RunChoice.user_id == user_id
    )


def registered_for_module(user: User, module: Module) -> bool:
    """Holding a seat in either run of the module."""
    return db.session.scalar(seat_in_module(user.id, module.id).limit(1)) is not None


def may_watch(user: User, recording: Recording) -> bool:
    """Staff of the course, and the learners registered for the recording's module."""
    module = recording.run.module
    return can_manage_course(user, module.course_id) or registered_for_module(user, module)


def recordings_of_module(module: Module, user: User, now: datetime) -> list[Recording]:
    """The unexpired recordings of the module's runs the user may watch, in one query:
    staff see them all, a learner only while holding a seat in one of the module's runs."""
    if not user.is_authenticated:
        return []
    statement = _recordings_statement(staff=can_manage_course(user, module.course_id))
    return list(db.session.scalars(statement, {"module_id": module.id, "user_id": user.id, "now": now}))


@lru_cache(maxsize=2)
def _recordings_statement(staff: bool):
    """Built once per process, for staff and for learners (every module page asks)."""
    module_id, now = bindparam("module_id"), bindparam("now", type_=Recording.expires_at.type)
    statement = (
        select(Recording)
        .join(Run, Run.id == Recording.run_id)
        .where(Run.module_id == module_id, Recording.expires_at >= now)
        .order_by(Run.starts_at, Recording.id)
    )
    if not staff:
        statement = statement.where(seat_in_module(bindparam("user_id"), module_id).exists())
    return statement


def recordings_of_run(run: Run) -> list[Recording]:
    return list(
        db.session.scalars(select(Recording).where(Recording.run_id == run.id).order_by(Recording.id))
    )
