"""Certificates: the public verify page, learners' downloads, the organisers' list."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from lms.accounts.auth import role_required
from lms.accounts.models import User
from lms.caching.conditional import guest_page
from lms.catalogue.services import find_published_course
from lms.certificates import jobs as certificate_jobs
from lms.certificates import services
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.versions import certificate_version, verification
from lms.db import parse_integer
from lms.enrollment import services as enrollment
from lms.extensions import db
from lms.jobs.tracking import start_job
from lms.transactions import commit_change

bp = Blueprint("certificates", __name__)


class ActionForm(FlaskForm):
    """Carries the CSRF token of the organisers' buttons."""


@bp.get("/verify")
def verify_form():
    """The code typed into the form on the verify page (a GET form: nothing changes)."""
    typed = request.args.get("code", "")
    code = services.normalise_code(typed)
    if code is None:
        return render_template(
            "certificates/verify.html", certificate=None, typed=typed, searched=bool(typed)
        ), (404 if typed else 200)
    return redirect(url_for("certificates.verify", code=services.display_code(code)))


def verify_version(code: str, fresh: bool) -> str | None:
    return certificate_version(code)


@bp.get("/verify/<code>")
@guest_page(verify_version, headers={"X-Robots-Tag": "noindex"}, timeless=True)
def verify(code: str):
    """Public: is this certificate genuine? Shows only what the paper shows."""
    certificate = verification(code)
    status = 200 if certificate is not None else 404
    response = render_template(
        "certificates/verify.html", certificate=certificate, typed=code, searched=True, statuses=CertificateStatus,
        code=services.display_code(certificate.code) if certificate else "",
    )  # fmt: skip
    return response, status


def _may_download(certificate: Certificate) -> bool:
    if certificate.user_id == current_user.id:
        return certificate.is_valid
    return current_user.has_role("organiser")


@bp.get("/certificates/<int:certificate_id>/download")
@login_required
def download(certificate_id: int):
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not _may_download(certificate):
        abort(404)
    return send_file(
        io.BytesIO(services.pdf_of(certificate)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=services.pdf_filename(certificate),
    )


@bp.get("/my/certificates")
@login_required
def mine():
    return render_template("certificates/mine.html", certificates=services.certificates_of_user(current_user))


# ---------------------------------------------------------------------------------------
# Organisers


@bp.get("/organise/courses/<slug>/certificates")
@role_required("organiser")
def manage(slug: str):
    course = find_published_course(slug) or abort(404)
    return render_template(
        "certificates/manage.html",
        course=course,
        certificates=services.certificates_of_course(course),
        form=ActionForm(),
        statuses=CertificateStatus,
    )


def _course_certificate(course, certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.course_id != course.id:
        abort(404)
    return certificate


def _act(slug: str, action) -> object:
    """Run one organiser action with CSRF checked, one commit, and a message."""
    course = find_published_course(slug) or abort(404)
    if not ActionForm().validate_on_submit():
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
        return redirect(url_for("certificates.manage", slug=slug))
    outcome = commit_change(lambda: action(course), flash_refusal=True)
    if outcome.ok:
        flash(outcome.value, "success")
    return redirect(url_for("certificates.manage", slug=slug))


def _start_job(slug: str, kind: str):
    """Start the edition's long work as a background job (CSRF checked, one commit)
    and show its progress; the same work already on its way is shown instead."""
    course = find_published_course(slug) or abort(404)
    if not ActionForm().validate_on_submit():
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
        return redirect(url_for("certificates.manage", slug=slug))
    job, started = commit_change(lambda: start_job(kind, current_user, course_id=course.id)).value
    if not started:
        flash(_("This was already started and is on its way; here is its progress."), "info")
    return redirect(url_for("reports.job_page", job_id=job.id))


@bp.post("/organise/courses/<slug>/certificates/issue")
@role_required("organiser")
def issue(slug: str):
    """With a learner: their certificate, now. Without: every missing one, as a job
    (an edition's thousands of learners take longer than a request may)."""
    if not request.form.get("user_id"):
        return _start_job(slug, certificate_jobs.ISSUE)

    def action(course):
        learner_id = parse_integer(request.form["user_id"])
        learner = db.session.get(User, learner_id) if learner_id is not None else None
        if learner is None or not enrollment.is_registered(learner, course.id):
            abort(404)
        certificate = services.issue_certificate(learner, course, current_user)
        return _("Certificate %(code)s issued to %(name)s.", code=services.display_code(certificate.code),
                 name=certificate.learner_name)  # fmt: skip

    return _act(slug, action)


@bp.post("/organise/courses/<slug>/certificates/<int:certificate_id>/revoke")
@role_required("organiser")
def revoke(slug: str, certificate_id: int):
    def action(course):
        certificate = _course_certificate(course, certificate_id)
        services.revoke(certificate, request.form.get("reason", ""), current_user)
        return _("Certificate %(code)s is revoked.", code=services.display_code(certificate.code))

    return _act(slug, action)


@bp.post("/organise/courses/<slug>/certificates/<int:certificate_id>/reissue")
@role_required("organiser")
def reissue(slug: str, certificate_id: int):
    def action(course):
        old = _course_certificate(course, certificate_id)
        new = services.reissue(old, current_user)
        return _("Certificate %(old)s is replaced by %(new)s.", old=services.display_code(old.code),
                 new=services.display_code(new.code))  # fmt: skip

    return _act(slug, action)


@bp.post("/organise/courses/<slug>/certificates.zip")
@role_required("organiser")
def download_all(slug: str):
    """Every valid certificate of the edition as one ZIP, made by a job: rendering an
    edition's PDFs the first time takes longer than a request may."""
    return _start_job(slug, certificate_jobs.ZIP)
