"""The attendance sheet of a run, for its course's trainers and organisers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from lms.attendance import checkin, joining, report_import, services
from lms.attendance.models import AttendanceStatus
from lms.catalogue.models import Run
from lms.catalogue.services import can_manage_course
from lms.db import parse_integer, utcnow
from lms.errors import ServiceError
from lms.extensions import db
from lms.qrcodes import qr_svg
from lms.transactions import commit_change
from lms.urls import external_url

bp = Blueprint("attendance", __name__)

STATUS_LABELS = {
    AttendanceStatus.PRESENT: _l("Present"),
    AttendanceStatus.LATE: _l("Late"),
    AttendanceStatus.ABSENT: _l("Absent"),
    AttendanceStatus.EXCUSED: _l("Excused"),
}

# Product names, the same in every language
PLATFORM_NAMES = {"zoom": "Zoom", "teams": "Microsoft Teams", "meet": "Google Meet"}


class SheetForm(FlaskForm):
    """Carries the CSRF token; the rows are read from the request."""


def managed_run(run_id: int) -> Run:
    run = db.session.get(Run, run_id) or abort(404)
    if not can_manage_course(current_user, run.module.course_id):
        abort(403)
    return run


def _sheet_marks(learner_ids) -> dict[int, services.Mark]:
    marks = {}
    for learner_id in learner_ids:
        status = request.form.get(f"status-{learner_id}", "")
        if not status:
            continue
        typed = request.form.get(f"minutes-{learner_id}", "").strip()
        minutes = parse_integer(typed)
        if typed and minutes is None:
            raise ServiceError(_("Minutes must be a whole number."))
        note = request.form.get(f"note-{learner_id}", "").strip()[:1000]
        marks[learner_id] = services.Mark(status, minutes, note)
    return marks


@bp.route("/teach/runs/<int:run_id>/attendance", methods=["GET", "POST"])
@login_required
def sheet(run_id: int):
    run = managed_run(run_id)
    learners = services.learners_of(run)
    form = SheetForm()
    if form.validate_on_submit():
        if request.form.get("action") == "all_present":
            outcome = commit_change(lambda: services.mark_all_present(run, current_user), flash_refusal=True)
        else:
            outcome = commit_change(
                lambda: services.mark_many(
                    run, _sheet_marks(learner.id for learner in learners), current_user
                ),
                flash_refusal=True,
            )
        if outcome.ok:
            flash(_("Attendance saved: %(count)s marks changed.", count=outcome.value), "success")
            return redirect(url_for("attendance.sheet", run_id=run.id))
    return render_template(
        "attendance/sheet.html",
        run=run,
        course=run.module.course,
        learners=learners,
        marks=services.marks_for(run),
        statuses=list(STATUS_LABELS.items()),
        form=form,
        checkin=checkin_panel(run, utcnow()),
        source_label=source_label,
    )


def source_label(source: str) -> str:
    """Where a mark came from, as the sheet's "Source" column says it."""
    if source == services.TYPED:
        return _("Typed")
    if source == services.CHECK_IN:
        return _("Check-in")
    return _("Imported (%(platform)s)", platform=PLATFORM_NAMES.get(source, source))


def checkin_panel(run: Run, now) -> dict | None:
    """The check-in code, when it changes and its QR code, while check-in is open."""
    if not checkin.is_open(run, now):
        return None
    code = checkin.current_code(run, now)
    url = external_url("checkin.check_in", run_id=run.id, code=code)
    return {
        "code": code,
        "changes_at": checkin.code_changes_at(now),
        "url": url,
        "qr": qr_svg(url, _("QR code to check in to this session")),
    }


class ReportForm(FlaskForm):
    report = FileField(
        _l("Participant report (CSV)"),
        validators=[FileRequired(_l("Please choose the participant report to upload."))],
        description=_l(
            "Zoom: Reports → Usage → Participants → Export. Microsoft Teams: the meeting's "
            "Attendance tab → Download. Google Meet: the attendance CSV. Upload the file unchanged."
        ),
    )
    zone = SelectField(
        _l("Time zone of the times in the report"),
        description=_l("The platforms write times in the zone of the account that exported the report."),
    )


def _zone_choices(course) -> list[SelectChoice]:
    zones = dict.fromkeys([course.timezone, current_user.timezone or course.timezone, "UTC"])
    return [SelectChoice(zone, zone) for zone in zones]


@bp.route("/teach/runs/<int:run_id>/attendance/import", methods=["GET", "POST"])
@login_required
def import_report(run_id: int):
    run = managed_run(run_id)
    form = ReportForm()
    form.zone.choices = _zone_choices(run.module.course)
    if form.validate_on_submit():
        upload = form.report.data
        try:
            digest = report_import.receive_report(
                run,
                upload.read(report_import.MAX_REPORT_BYTES + 1),
                upload.filename or "",
                form.zone.data,
                current_user,
            )
        except ServiceError as failure:
            form.report.errors = [failure.message]
        else:
            return redirect(
                url_for("attendance.review_import", run_id=run.id, digest=digest, zone=form.zone.data)
            )
    return render_template(
        "attendance/import.html",
        run=run,
        course=run.module.course,
        form=form,
        history=report_import.imports_of(run),
        platform_names=PLATFORM_NAMES,
    )


def _decisions_from_form(count: int) -> dict[str, int | None]:
    """The review's answers: for each listed name a learner id, "ignore", or nothing yet
    (ignored too when the trainer ticked "ignore the names I leave open")."""
    decisions: dict[str, int | None] = {}
    ignore_open = request.form.get("ignore_open") == "1"
    for index in range(min(count, 1000)):
        key = request.form.get(f"key-{index}", "")
        choice = request.form.get(f"decision-{index}", "")
        if not key or (not choice and not ignore_open):
            continue
        if choice in ("ignore", ""):
            decisions[key] = None
        elif parse_integer(choice) is not None:
            decisions[key] = parse_integer(choice)
    return decisions


def _first_joins(shown: report_import.Preview) -> dict:
    """{participant key: first join} of the names the import could not place."""
    return {
        question.participant.key: min(join.joined_at for join in question.participant.joins)
        for question in shown.questions
        if question.decision == "" and question.participant.joins
    }


@bp.route("/teach/runs/<int:run_id>/attendance/import/<digest>", methods=["GET", "POST"])
@login_required
def review_import(run_id: int, digest: str):
    run = managed_run(run_id)
    zone = request.values.get("zone") or run.module.course.timezone
    form = SheetForm()
    listed = parse_integer(request.form.get("questions")) or 0
    decisions = _decisions_from_form(listed) if request.method == "POST" else {}
    try:
        if form.validate_on_submit() and request.form.get("action") == "apply":
            replace = {parse_integer(value) for value in request.form.getlist("replace")} - {None}
            outcome = commit_change(
                lambda: report_import.apply_import(run, digest, zone, decisions, replace, current_user),
                flash_refusal=True,
            )
            if outcome.ok:
                flash(
                    _("The report is imported: %(count)s marks changed.", count=outcome.value.changed),
                    "success",
                )
                return redirect(url_for("attendance.sheet", run_id=run.id))
        shown = report_import.preview(run, digest, zone, decisions)
    except LookupError:
        abort(404)
    except ServiceError as failure:
        flash(failure.message, "error")
        return redirect(url_for("attendance.import_report", run_id=run.id))
    return render_template(
        "attendance/review.html",
        run=run,
        course=run.module.course,
        preview=shown,
        hints=joining.join_hints(run, _first_joins(shown), (learner.id for learner in shown.learners)),
        form=form,
        status_labels=STATUS_LABELS,
        platform_names=PLATFORM_NAMES,
    )
