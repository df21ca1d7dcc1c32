"""Organiser pages: exports, printable rosters, the donor dashboard, the audit log,
outgoing mail, and the pages of the jobs that prepare the large files (progress, then
the download)."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from lms.accounts.auth import role_required
from lms.accounts.models import Role, User
from lms.catalogue.models import Course
from lms.catalogue.services import taught_module_keys
from lms.db import parse_integer, utcnow
from lms.extensions import db
from lms.i18n import viewer_zone, zone
from lms.jobs import tracking
from lms.jobs.models import JobStatus
from lms.mail.kinds import declared_kinds
from lms.mail.outbox import mail_health
from lms.reports import audit, dashboard, data, exports, learning_gain, mail
from lms.reports import jobs as report_jobs
from lms.transactions import commit_change

bp = Blueprint("reports", __name__)

FORMATS = ("csv", "xlsx")


def _course(slug: str):
    return data.find_course(slug) or abort(404)


class StartForm(FlaskForm):
    """Carries the CSRF token of the buttons that start a job."""


def _start(course, kind: str, params: dict, back: str):
    """Start a job for the edition (CSRF checked, one commit) and show its progress;
    the same work already queued or running is shown instead of starting it twice."""
    if not StartForm().validate_on_submit():
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
        return redirect(back)
    job, started = commit_change(
        lambda: tracking.start_job(kind, current_user, course_id=course.id, params=params)
    ).value
    if not started:
        flash(_("This was already started and is on its way; here is its progress."), "info")
    return redirect(url_for("reports.job_page", job_id=job.id))


@bp.get("/organise/courses/<slug>/exports")
@role_required("organiser")
def export_list(slug: str):
    course = _course(slug)
    return render_template(
        "reports/exports.html", course=course, kinds=exports.EXPORTS.values(), form=StartForm()
    )


@bp.post("/organise/courses/<slug>/exports/<name>.<extension>")
@role_required("organiser")
def export_download(slug: str, name: str, extension: str):
    """Prepare an export as a job (an edition of 10,000 learners takes longer than a
    request may); the organiser downloads it from the job page."""
    kind = exports.EXPORTS.get(name)
    if kind is None or extension not in FORMATS:
        abort(404)
    course = _course(slug)
    params = {"name": name, "format": extension}
    module_key = request.form.get("module") if name == "results" else None
    if module_key:
        if not any(module.key == module_key for module in course.modules):
            abort(404)
        params["module"] = module_key
    return _start(course, report_jobs.EXPORT, params, url_for("reports.export_list", slug=slug))


def _run_of(course, run_id: int):
    return next((run for run in course.runs if run.id == run_id), None) or abort(404)


@bp.get("/organise/courses/<slug>/runs/<int:run_id>/roster")
@role_required("organiser")
def roster(slug: str, run_id: int):
    course = _course(slug)
    run = _run_of(course, run_id)
    lines = exports.roster(run)
    return render_template(
        "reports/roster.html", course=course, run=run, module=run.module, lines=lines, form=StartForm()
    )


@bp.post("/organise/courses/<slug>/runs/<int:run_id>/roster.<extension>")
@role_required("organiser")
def roster_download(slug: str, run_id: int, extension: str):
    course = _course(slug)
    run = _run_of(course, run_id)
    if extension != "csv":
        abort(404)
    params = {"run_id": run.id, "format": extension, "module_position": run.module.position,
              "run_key": run.key, "run_label": run.label or {}}  # fmt: skip
    return _start(course, report_jobs.ROSTER, params, url_for("reports.roster", slug=slug, run_id=run.id))


@bp.get("/organise/courses/<slug>/dashboard")
@role_required("organiser")
def dashboard_page(slug: str):
    report = dashboard.build(_course(slug))
    return render_template(
        "reports/dashboard.html",
        course=report.course,
        report=report,
        now=utcnow(),
        mail=mail_health(),
        form=StartForm(),
    )


@bp.post("/organise/courses/<slug>/dashboard.xlsx")
@role_required("organiser")
def dashboard_download(slug: str):
    course = _course(slug)
    return _start(
        course, report_jobs.DASHBOARD, {"format": "xlsx"}, url_for("reports.dashboard_page", slug=slug)
    )


@bp.get("/organise/courses/<slug>/learning-gain")
@login_required
def learning_gain_page(slug: str):
    """Organisers see the course and every module; a trainer the modules they teach."""
    course = _course(slug)
    if current_user.has_role(Role.ORGANISER):
        keys = None
    else:
        keys = taught_module_keys(current_user, course.id) if current_user.has_role(Role.TRAINER) else []
        if not keys:
            abort(403)
    return render_template(
        "reports/learning_gain.html", course=course, learning_gain=learning_gain.build(course, keys)
    )


# -- jobs -------------------------------------------------------------------------------


def _job_or_404(job_id: int):
    return tracking.job_for(current_user, job_id) or abort(404)


def _job_page(job, status: int = 200):
    course = db.session.get(Course, job.course_id) if job.course_id is not None else None
    requested_by = db.session.get(User, job.requested_by_id)
    return render_template(
        "jobs/job.html", job=job, course=course, requested_by=requested_by, title=tracking.title_of(job),
        summary=tracking.summary_of(job), statuses=JobStatus, form=StartForm(),
        zone=viewer_zone() or (course.zone if course else UTC),
    ), status  # fmt: skip


@bp.get("/organise/jobs")
@role_required("organiser")
def jobs():
    rows = tracking.recent_jobs(current_user)
    ids = {row.course_id for row in rows if row.course_id is not None}
    courses = {course.id: course for course in db.session.scalars(select(Course).where(Course.id.in_(ids)))}
    return render_template(
        "jobs/list.html", jobs=rows, courses=courses, title_of=tracking.title_of, statuses=JobStatus,
        zone=viewer_zone() or UTC,
    )  # fmt: skip


@bp.get("/organise/jobs/<int:job_id>")
@role_required("organiser")
def job_page(job_id: int):
    return _job_page(_job_or_404(job_id))


@bp.get("/organise/jobs/<int:job_id>/download")
@role_required("organiser")
def job_download(job_id: int):
    job = _job_or_404(job_id)
    if job.is_active or job.status == JobStatus.FAILED or not job.download_name:
        # not (yet) a file, or work that makes none: the page says how it stands
        return redirect(url_for("reports.job_page", job_id=job.id))
    path = tracking.result_file(job)
    if path is None:  # expired (or the file is gone): the page says so and offers to start again
        return _job_page(job, 410)
    response = send_file(path, mimetype=job.mimetype, as_attachment=True, download_name=job.download_name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/organise/jobs/<int:job_id>/again")
@role_required("organiser")
def job_again(job_id: int):
    """The same work started afresh (after a failure, or once the file expired)."""
    job = _job_or_404(job_id)
    if not StartForm().validate_on_submit():
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
        return redirect(url_for("reports.job_page", job_id=job.id))
    again, started = commit_change(
        lambda: tracking.start_job(job.kind, current_user, course_id=job.course_id, params=job.params)
    ).value
    if not started:
        flash(_("This was already started and is on its way; here is its progress."), "info")
    return redirect(url_for("reports.job_page", job_id=again.id))


@bp.get("/organise/audit")
@role_required("organiser")
def audit_log():
    course_id = parse_integer(request.args.get("course"))
    actor_id = parse_integer(request.args.get("person"))
    page = audit.audit_page(course_id, actor_id, parse_integer(request.args.get("page")) or 1)
    return render_template(
        "reports/audit.html",
        page=page,
        course_id=course_id,
        actor_id=actor_id,
        rows=audit.describe(page.events, zone(current_user.timezone)),
        title=_("Audit log"),
    )


@bp.get("/organise/mail")
@role_required("organiser")
def outgoing_mail():
    courses = mail.course_choices()
    chosen = mail.MailFilter.parse(request.args, courses)
    return render_template(
        "reports/mail.html",
        page=mail.mail_page(chosen, courses),
        chosen=chosen,
        kinds=sorted(declared_kinds(), key=mail.kind_label),
        statuses=mail.STATUS_LABELS,
        kind_label=mail.kind_label,
        status_label=mail.status_label,
        now=utcnow(),
    )


def _back_to_mail(chosen: mail.MailFilter) -> Response:
    """To the page and filter the organiser pressed the button on."""
    return redirect(url_for("reports.outgoing_mail", **chosen.args()))


@bp.post("/organise/mail/<int:message_id>/send-again")
@role_required("organiser")
def send_mail_again(message_id: int):
    message = mail.find_message(message_id) or abort(404)
    back = mail.MailFilter.parse(request.form, mail.course_choices())
    recipient = message.recipient
    if commit_change(lambda: mail.send_message_again(message, current_user)).value:
        flash(_("The email to %(recipient)s will be sent again in a moment.", recipient=recipient), "success")
    else:
        flash(_("This email has not failed (any more), so it was not sent again."), "info")
    return _back_to_mail(back)


@bp.post("/organise/mail/send-again")
@role_required("organiser")
def send_failed_mail_again():
    """Every failed email again, or those of the edition and kind the page was filtered by."""
    chosen = mail.MailFilter.parse(request.form, mail.course_choices())
    if not chosen.valid:
        flash(_("The edition or kind of email was not recognised, so nothing was sent again."), "error")
        return redirect(url_for("reports.outgoing_mail"))
    count = commit_change(lambda: mail.send_failed_again(chosen, current_user)).value
    if count:
        flash(
            ngettext(
                "%(num)s failed email will be sent again in a moment.",
                "%(num)s failed emails will be sent again in a moment.",
                count,
            ),
            "success",
        )
    else:
        flash(_("No failed email matched, so nothing was sent again."), "info")
    return _back_to_mail(chosen)
