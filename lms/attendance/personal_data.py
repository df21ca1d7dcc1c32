"""The personal data attendance holds (lms.personal_data): marks and their history,
clicks on the join link, wrong check-in codes. Marks stay on de-identification (the
dashboard counts them); the free-text notes about the person are removed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from lms.attendance.models import Attendance, AttendanceChange, CheckInFailure, JoinClick
from lms.extensions import db
from lms.personal_data import PersonalData


def export_marks(user_id: int) -> list[dict]:
    rows = db.session.scalars(select(Attendance).where(Attendance.user_id == user_id).order_by(Attendance.id))
    return [
        {"run_id": row.run_id, "status": row.status, "minutes": row.minutes, "note": row.note,
         "source": row.source, "marked_at": row.marked_at.isoformat()}
        for row in rows
    ]  # fmt: skip


def erase_marks(user_id: int) -> None:
    db.session.execute(update(Attendance).where(Attendance.user_id == user_id).values(note=""))
    marks = select(Attendance.id).where(Attendance.user_id == user_id)
    db.session.execute(
        update(AttendanceChange).where(AttendanceChange.attendance_id.in_(marks)).values(note="")
    )


def export_join_clicks(user_id: int) -> list[dict]:
    rows = db.session.scalars(select(JoinClick).where(JoinClick.user_id == user_id).order_by(JoinClick.id))
    return [{"run_id": row.run_id, "clicked_at": row.clicked_at.isoformat()} for row in rows]


def export_wrong_codes(user_id: int) -> list[dict]:
    rows = db.session.scalars(
        select(CheckInFailure).where(CheckInFailure.user_id == user_id).order_by(CheckInFailure.id)
    )
    return [{"run_id": row.run_id, "tried_at": row.tried_at.isoformat()} for row in rows]


def _keep(user_id: int) -> None:
    """Times of clicks and tries say nothing once the person's name is gone."""


PERSONAL_DATA = (
    PersonalData("attendance", _l("Attendance marks"), export_marks, erase_marks),
    PersonalData("join_clicks", _l("Clicks on the join link of live sessions"), export_join_clicks, _keep),
    PersonalData("check_in_tries", _l("Wrong check-in codes typed"), export_wrong_codes, _keep),
)
