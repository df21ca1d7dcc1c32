"""The personal data attendance holds: the learner's marks with every change, how
participant reports' names and addresses were matched to them, their clicks on join
links and the wrong check-in codes they typed. See lms.personal_data.

Marks stay (attendance figures count them); the notes trainers wrote about the person
and the remembered matches of report names to them go.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from lms.attendance.models import Attendance, AttendanceChange, AttendanceImport, CheckInFailure, JoinClick
from lms.attendance.report_import import forget_stored_reports
from lms.catalogue.models import Run
from lms.extensions import db
from lms.personal_data import PersonalData


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def export_marks(user_id: int) -> list[dict]:
    marks = db.session.scalars(
        select(Attendance)
        .where(Attendance.user_id == user_id)
        .options(selectinload(Attendance.history), selectinload(Attendance.run))
        .order_by(Attendance.id)
    )
    return [
        {
            "run_id": mark.run_id,
            "run_starts_at": _iso(mark.run.starts_at),
            "status": mark.status,
            "minutes": mark.minutes,
            "note": mark.note,
            "source": mark.source,
            "marked_at": _iso(mark.marked_at),
            "history": [
                {"status": change.status, "minutes": change.minutes, "note": change.note, "source": change.source,
                 "changed_at": _iso(change.changed_at)}
                for change in mark.history
            ],
        }
        for mark in marks
    ]  # fmt: skip


def erase_marks(user_id: int) -> None:
    mark_ids = select(Attendance.id).where(Attendance.user_id == user_id).scalar_subquery()
    db.session.execute(
        update(Attendance).where(Attendance.user_id == user_id).values(note="")
        .execution_options(synchronize_session="fetch")
    )  # fmt: skip
    db.session.execute(
        update(AttendanceChange).where(AttendanceChange.attendance_id.in_(mark_ids)).values(note="")
        .execution_options(synchronize_session="fetch")
    )  # fmt: skip


def _imports_matching(user_id: int) -> list[AttendanceImport]:
    # the decisions are a small JSON object per import; imports are few (one or two a run)
    return [
        imported
        for imported in db.session.scalars(select(AttendanceImport).order_by(AttendanceImport.id))
        if user_id in (imported.decisions or {}).values()
    ]


def export_matches(user_id: int) -> list[dict]:
    return [
        {"run_id": imported.run_id, "platform": imported.platform, "imported_at": _iso(imported.imported_at),
         "names_in_report": sorted(key for key, value in imported.decisions.items() if value == user_id)}
        for imported in _imports_matching(user_id)
    ]  # fmt: skip


def erase_matches(user_id: int) -> None:
    """The report's name or address that was matched to the person is forgotten (a new
    import of the same report asks again and finds nobody), and the uploaded reports of
    the runs they were marked in, which name them, are removed from the disk."""
    for imported in _imports_matching(user_id):
        imported.decisions = {key: value for key, value in imported.decisions.items() if value != user_id}
    db.session.flush()
    runs = db.session.scalars(
        select(Run).where(Run.id.in_(select(Attendance.run_id).where(Attendance.user_id == user_id)))
    )
    for run in runs:
        forget_stored_reports(run)


def export_join_clicks(user_id: int) -> list[dict]:
    clicks = db.session.scalars(select(JoinClick).where(JoinClick.user_id == user_id).order_by(JoinClick.id))
    return [{"run_id": click.run_id, "clicked_at": _iso(click.clicked_at)} for click in clicks]


def export_wrong_codes(user_id: int) -> list[dict]:
    tries = db.session.scalars(
        select(CheckInFailure).where(CheckInFailure.user_id == user_id).order_by(CheckInFailure.id)
    )
    return [{"run_id": tried.run_id, "tried_at": _iso(tried.tried_at)} for tried in tries]


def keep_times(user_id: int) -> None:
    """A run and a time say nothing about anyone once the account is de-identified."""


PERSONAL_DATA = (
    PersonalData("attendance", _l("Attendance marks"), export_marks, erase_marks),
    PersonalData("attendance_matches", _l("Names in participant reports matched to you"), export_matches,
                 erase_matches),
    PersonalData("join_clicks", _l("Clicks on the join link of live sessions"), export_join_clicks, keep_times),
    PersonalData("check_in_tries", _l("Wrong check-in codes typed"), export_wrong_codes, keep_times),
)  # fmt: skip
