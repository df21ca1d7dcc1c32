"""The attendance sheet of a run, for its course's trainers and organisers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from lms.accounts.auth import role_required
from lms.accounts.models import User
from lms.attendance import completion, imports, services
from lms.attendance.models import AttendanceStatus, CompletionException
from lms.certificates import services as certificates
from lms.db import parse_integer
from lms.enrollment import services as services_enrollment
from lms.errors import ServiceError
from lms.extensions import db
from lms.modules.models import Run
from lms.modules.services import can_manage_course, find_published_course

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


def _managed_run(run_id: int) -> Run:
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
    run = _managed_run(run_id)
    learners = services.learners_of(run)
    form = SheetForm()
    if form.validate_on_submit():
        try:
            if request.form.get("action") == "all_present":
                changed = services.mark_all_present(run, current_user)
            else:
                changed = services.mark_many(
                    run, _sheet_marks(learner.id for learner in learners), current_user
                )
            db.session.commit()
        except ServiceError as failure:
            db.session.rollback()
            flash(failure.message, "error")
        else:
            flash(_("Attendance saved: %(count)s marks changed.", count=changed), "success")
            return redirect(url_for("attendance.sheet", run_id=run.id))
    return render_template(
        "attendance/sheet.html",
        run=run,
        course=run.module.course,
        learners=learners,
        marks=services.marks_for(run),
        statuses=list(STATUS_LABELS.items()),
        form=form,
    )


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
    run = _managed_run(run_id)
    form = ReportForm()
    form.zone.choices = _zone_choices(run.module.course)
    if form.validate_on_submit():
        upload = form.report.data
        try:
            digest = imports.receive_report(
                run,
                upload.read(imports.MAX_REPORT_BYTES + 1),
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
        history=imports.imports_of(run),
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


@bp.route("/teach/runs/<int:run_id>/attendance/import/<digest>", methods=["GET", "POST"])
@login_required
def review_import(run_id: int, digest: str):
    run = _managed_run(run_id)
    zone = request.values.get("zone") or run.module.course.timezone
    form = SheetForm()
    listed = parse_integer(request.form.get("questions")) or 0
    decisions = _decisions_from_form(listed) if request.method == "POST" else {}
    try:
        if form.validate_on_submit() and request.form.get("action") == "apply":
            replace = {parse_integer(value) for value in request.form.getlist("replace")} - {None}
            try:
                imported = imports.apply_import(run, digest, zone, decisions, replace, current_user)
                db.session.commit()
            except ServiceError as failure:
                db.session.rollback()
                flash(failure.message, "error")
            else:
                flash(
                    _("The report is imported: %(count)s marks changed.", count=imported.changed), "success"
                )
                return redirect(url_for("attendance.sheet", run_id=run.id))
        shown = imports.preview(run, digest, zone, decisions)
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
        form=form,
        status_labels=STATUS_LABELS,
        platform_names=PLATFORM_NAMES,
    )


@bp.get("/my/progress/<slug>")
@login_required
def my_progress(slug: str):
    course = find_published_course(slug) or abort(404)
    if services_enrollment.find_registration(current_user, course) is None:
        abort(404)
    return render_template(
        "attendance/progress.html",
        progress=completion.progress(current_user, course),
        course=course,
        certificate=certificates.valid_certificate(current_user, course),
    )


class ExceptionForm(FlaskForm):
    module_id = SelectField(_l("Module"), coerce=int)
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Please give the reason; it is kept in the audit log."))]
    )


@bp.route("/organise/courses/<slug>/learners/<int:user_id>/progress", methods=["GET", "POST"])
@role_required("organiser")
def learner_progress(slug: str, user_id: int):
    """An organiser sees a learner's progress and may count a module as done, with a reason."""
    course = find_published_course(slug) or abort(404)
    learner = db.session.get(User, user_id) or abort(404)
    if not services_enrollment.is_registered(learner, course.id):
        abort(404)
    form = ExceptionForm()
    form.module_id.choices = [
        SelectChoice(module.id, _("Module %(num)s", num=module.position)) for module in course.modules
    ]
    if form.validate_on_submit():
        module = next(module for module in course.modules if module.id == form.module_id.data)
        try:
            completion.record_exception(learner, module, form.reason.data, current_user)
            db.session.commit()
        except ServiceError as failure:
            db.session.rollback()
            flash(failure.message, "error")
        else:
            flash(_("The exception is recorded."), "success")
            return redirect(url_for("attendance.learner_progress", slug=slug, user_id=user_id))
    return render_template(
        "attendance/progress.html",
        progress=completion.progress(learner, course),
        course=course,
        learner=learner,
        form=form,
        revoke_form=SheetForm(),
        exceptions=completion.exceptions_of(learner, course),
        certificate=certificates.valid_certificate(learner, course),
    )


@bp.post("/organise/courses/<slug>/learners/<int:user_id>/exceptions/<int:exception_id>/revoke")
@role_required("organiser")
def revoke_exception(slug: str, user_id: int, exception_id: int):
    course = find_published_course(slug) or abort(404)
    exception = db.session.get(CompletionException, exception_id)
    if exception is None or exception.course_id != course.id or exception.user_id != user_id:
        abort(404)
    if not SheetForm().validate_on_submit():
        abort(400)
    try:
        completion.revoke_exception(exception, request.form.get("reason", ""), current_user)
        db.session.commit()
    except ServiceError as failure:
        db.session.rollback()
        flash(failure.message, "error")
    else:
        flash(_("The exception is revoked."), "success")
    return redirect(url_for("attendance.learner_progress", slug=slug, user_id=user_id))
