"""Organiser pages: exports, printable rosters, the donor dashboard, the audit log and
outgoing mail."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.accounts.auth import role_required
from lms.db import parse_integer, utcnow
from lms.extensions import db
from lms.i18n import zone
from lms.mail.kinds import declared_kinds
from lms.mail.outbox import mail_health
from lms.reports import audit, dashboard, data, exports, mail
from lms.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, csv_bytes, workbook_bytes

bp = Blueprint("reports", __name__)

FORMATS = ("csv", "xlsx")


def _course(slug: str):
    return data.find_course(slug) or abort(404)


def _download(tables, course, name: str, extension: str) -> Response:
    if extension == "csv":
        body, mimetype = csv_bytes(tables[0].header, tables[0].rows), CSV_MIMETYPE
    else:
        body, mimetype = workbook_bytes(tables), XLSX_MIMETYPE
    filename = exports.export_filename(course, name, extension, utcnow())
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.get("/organise/courses/<slug>/exports")
@role_required("organiser")
def export_list(slug: str):
    course = _course(slug)
    return render_template("reports/exports.html", course=course, kinds=exports.EXPORTS.values())


@bp.get("/organise/courses/<slug>/exports/<name>.<extension>")
@role_required("organiser")
def export_download(slug: str, name: str, extension: str):
    kind = exports.EXPORTS.get(name)
    if kind is None or extension not in FORMATS:
        abort(404)
    course = _course(slug)
    module_key = request.args.get("module") if name == "results" else None
    if module_key is not None:
        if not any(module.key == module_key for module in course.modules):
            abort(404)
        table, name = exports.results(course, module_key), f"results-{module_key}"
    else:
        table = kind.build(course)
    return _download([table], course, name, extension)


@bp.get("/organise/courses/<slug>/runs/<int:run_id>/roster")
@bp.get("/organise/courses/<slug>/runs/<int:run_id>/roster.<extension>")
@role_required("organiser")
def roster(slug: str, run_id: int, extension: str | None = None):
    course = _course(slug)
    run = next((run for run in course.runs if run.id == run_id), None) or abort(404)
    lines = exports.roster(run)
    if extension == "csv":
        return _download(
            [exports.roster_table(run, lines)], course, f"roster-{run.module.key}-{run.key}", "csv"
        )
    if extension is not None:
        abort(404)
    return render_template("reports/roster.html", course=course, run=run, module=run.module, lines=lines)


@bp.get("/organise/courses/<slug>/dashboard")
@role_required("organiser")
def dashboard_page(slug: str):
    report = dashboard.build(_course(slug))
    return render_template(
        "reports/dashboard.html", course=report.course, report=report, now=utcnow(), mail=mail_health()
    )


@bp.get("/organise/courses/<slug>/dashboard.xlsx")
@role_required("organiser")
def dashboard_download(slug: str):
    report = dashboard.build(_course(slug))
    return _download(report.workbook(), report.course, "dashboard", "xlsx")


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
    if mail.send_message_again(message, current_user):
        db.session.commit()
        flash(_("The email to %(recipient)s will be sent again in a moment.", recipient=recipient), "success")
    else:
        db.session.rollback()
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
    count = mail.send_failed_again(chosen, current_user)
    db.session.commit()
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
