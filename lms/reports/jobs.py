"""The organisers' spreadsheets made by job workers: the exports of an edition (an
edition of 10,000 learners is 60,000 rows), a run's roster and the dashboard report.
The organiser starts one with a button, watches it on the job page and downloads the
file there. ``create_app`` registers ``JOB_KINDS``; the CLI writes the same files
synchronously.

The file is in the language of the organiser who started it (the job runs in that
locale), with the same headers and cells as the CLI writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.catalogue.models import Course, Module
from lms.consent.exports import log_personal_data_export
from lms.db import utcnow
from lms.extensions import db
from lms.i18n import tr_text
from lms.jobs.tracking import EDITION_GONE, N_, ClaimedJob, JobKind, JobRefused, Produced, Progress
from lms.reports import dashboard, exports
from lms.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, Table, csv_bytes, write_workbook

EXPORT = "report_export"
ROSTER = "report_roster"
DASHBOARD = "report_dashboard"
FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": CSV_MIMETYPE, "xlsx": XLSX_MIMETYPE}
# Rows written between two progress reports.
ROWS_PER_REPORT = 500

UNKNOWN_EXPORT = N_("This export no longer exists. Please choose one on the exports page.")
MODULE_GONE = N_("This module is no longer part of the edition.")
RUN_GONE = N_("This run is no longer part of the edition.")


class CountedRows(Sequence):
    """The rows of a table, reporting how many were written as they are iterated."""

    def __init__(self, rows: Sequence, report: Callable[[int], None]) -> None:
        self.rows = rows
        self.report = report

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    def __iter__(self) -> Iterator:
        for number, row in enumerate(self.rows, start=1):
            yield row
            if number % ROWS_PER_REPORT == 0:
                self.report(number)
        self.report(len(self.rows))


def write_tables(tables: list[Table], extension: str, stream: BinaryIO, progress: Progress) -> None:
    """The tables as one XLSX workbook (a sheet each) or the first as CSV, with progress
    counted in rows."""
    total = sum(len(table.rows) for table in tables)
    progress(0, total)
    counted, offset = [], 0
    for table in tables:
        counted.append(
            Table(
                table.title,
                table.header,
                CountedRows(table.rows, lambda done, at=offset: progress(at + done, total)),
            )
        )
        offset += len(table.rows)
    if extension == "csv":
        stream.write(csv_bytes(counted[0].header, counted[0].rows))
    else:
        write_workbook(stream, counted)


def _course(job: ClaimedJob) -> Course:
    course = (
        db.session.scalar(
            select(Course)
            .where(Course.id == job.course_id)
            .options(selectinload(Course.modules).selectinload(Module.runs))
        )
        if job.course_id is not None
        else None
    )
    if course is None:
        raise JobRefused(EDITION_GONE)
    return course


def _format(params: dict) -> str:
    extension = params.get("format")
    if extension not in FORMATS:
        raise JobRefused(UNKNOWN_EXPORT)
    return extension


def _produce(course: Course, tables: list[Table], name: str, extension: str, job: ClaimedJob, progress: Progress) -> Produced:  # fmt: skip
    people = [table.people for table in tables if table.people is not None]
    if people:  # personal data leaves the platform: who, what, when, how many people
        log_personal_data_export(
            f"{name}.{extension}", max(people), actor_id=job.requested_by_id, course_id=course.id
        )
    db.session.commit()  # everything is read: end the read transaction before writing the file
    write_tables(tables, extension, job.output, progress)
    return Produced(exports.export_filename(course, name, extension, utcnow()), MIMETYPES[extension])


# -- exports ----------------------------------------------------------------------------


def make_export(job: ClaimedJob, progress: Progress) -> Produced:
    course = _course(job)
    extension = _format(job.params)
    kind = exports.EXPORTS.get(job.params.get("name", ""))
    if kind is None:
        raise JobRefused(UNKNOWN_EXPORT)
    module_key = job.params.get("module")
    if module_key is not None:
        if not any(module.key == module_key for module in course.modules):
            raise JobRefused(MODULE_GONE)
        table, name = exports.results(course, module_key), f"results-{module_key}"
    else:
        table, name = kind.build(course), kind.name
    return _produce(course, [table], name, extension, job, progress)


def export_title(params: dict) -> str:
    kind = exports.EXPORTS.get(params.get("name", ""))
    what = str(kind.label) if kind is not None else params.get("name", "")
    if params.get("module"):
        what = _("%(export)s, module %(module)s", export=what, module=params["module"])
    return _("%(what)s (%(format)s)", what=what, format=str(params.get("format", "")).upper())


# -- rosters ----------------------------------------------------------------------------


def make_roster(job: ClaimedJob, progress: Progress) -> Produced:
    course = _course(job)
    extension = _format(job.params)
    run = next((run for run in course.runs if run.id == job.params.get("run_id")), None)
    if run is None:
        raise JobRefused(RUN_GONE)
    table = exports.roster_table(run, exports.roster(run))
    return _produce(course, [table], f"roster-{run.module.key}-{run.key}", extension, job, progress)


def roster_title(params: dict) -> str:
    what = _(
        "Roster of module %(num)s, %(run)s",
        num=params.get("module_position", ""),
        run=tr_text(params.get("run_label")) or params.get("run_key", ""),
    )
    return _("%(what)s (%(format)s)", what=what, format=str(params.get("format", "")).upper())


# -- the dashboard report -----------------------------------------------------------------


def make_dashboard(job: ClaimedJob, progress: Progress) -> Produced:
    course = _course(job)
    extension = _format(job.params)
    report = dashboard.build(course)
    return _produce(course, report.workbook(), "dashboard", extension, job, progress)


def dashboard_title(params: dict) -> str:
    return _(
        "%(what)s (%(format)s)", what=_("Dashboard report"), format=str(params.get("format", "")).upper()
    )


JOB_KINDS = {
    EXPORT: JobKind(EXPORT, make_export, export_title),
    ROSTER: JobKind(ROSTER, make_roster, roster_title),
    DASHBOARD: JobKind(DASHBOARD, make_dashboard, dashboard_title),
}
