"""The learner's data page (/account/data: download, keep my account), the deletion
request (/account/delete) and the organisers' queue of requests."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.auth import role_required
from lms.certificates.models import Certificate
from lms.consent.routes import consent_context
from lms.extensions import db
from lms.jobs.models import JobStatus
from lms.jobs.tracking import result_file
from lms.privacy import download, services
from lms.privacy.forms import ActionForm, DeletionForm, KeepAccountForm
from lms.privacy.models import PrivacyRequest, RequestKind
from lms.transactions import commit_change

bp = Blueprint("privacy", __name__)

QUEUE_STATES = ("open", "overdue", "done")


def _me():
    return current_user._get_current_object()


@bp.get("/account/data")
@login_required
def data():
    return render_template(
        "privacy/data.html", form=ActionForm(), keep_form=KeepAccountForm(keep_account=current_user.keep_account),
        downloads=download.downloads_of(current_user), statuses=JobStatus,
        deletion=services.open_request(current_user), retention_years=current_app.config["RETENTION_YEARS"],
        **consent_context(_me()),
    )  # fmt: skip


@bp.post("/account/data/download")
@login_required
def request_download():
    if not ActionForm().validate_on_submit():
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
        return redirect(url_for("privacy.data"))
    started = commit_change(lambda: download.start_download(_me())).value[1]
    if started:
        flash(
            _("We are preparing your data. You will get an email with the link when it is ready."), "success"
        )
    else:
        flash(_("Your data is already being prepared; you will get an email when it is ready."), "info")
    return redirect(url_for("privacy.data"))


@bp.get("/account/data/download/<int:job_id>", endpoint="download")
@login_required
def download_file(job_id: int):
    job = download.download_for(current_user, job_id) or abort(404)
    path = result_file(job)
    if path is None:
        expired = job.status == JobStatus.EXPIRED or (
            job.status == JobStatus.DONE and job.result_path is None
        )
        message = (
            _(
                "This download link has expired and the file was deleted. Ask for a new copy of your data below."
            )
            if expired
            else _("Your data is not ready yet. You will get an email when it is.")
        )
        return render_template("privacy/link.html", message=message), 410 if expired else 409
    response = send_file(
        Path(path), mimetype="application/zip", as_attachment=True, download_name=job.download_name
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/account/data/keep")
@login_required
def keep_account():
    form = KeepAccountForm()
    if not form.validate_on_submit():
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
        return redirect(url_for("privacy.data"))
    commit_change(lambda: services.set_keep_account(_me(), bool(form.keep_account.data)))
    flash(_("Your choice is saved."), "success")
    return redirect(url_for("privacy.data"))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    existing = services.open_request(current_user)
    form = DeletionForm()
    if existing is None and form.validate_on_submit():
        outcome = commit_change(
            lambda: services.request_deletion(_me(), form.password.data, form.reason.data)
        )
        if outcome.ok:
            flash(_("Your request is recorded. The organisers will delete your account within %(days)s days and email you when it is done.", days=services.deadline_days()), "success")  # fmt: skip
            return redirect(url_for("privacy.data"))
        getattr(form, getattr(outcome.refusal, "field", "password"), form.password).errors.append(
            outcome.error
        )
    elif existing is not None and request.method == "POST":
        flash(
            _("You have already asked for your account to be deleted; the organisers are handling it."),
            "error",
        )
        return redirect(url_for("privacy.delete_account")), 303
    return render_template("privacy/delete.html", form=form, existing=existing,
                           days=services.deadline_days())  # fmt: skip


@bp.get("/organise/privacy/requests")
@role_required("organiser")
def requests_queue():
    state = request.args.get("state", "open")
    if state not in QUEUE_STATES:
        state = "open"
    return render_template(
        "privacy/requests.html", rows=services.requests_in(state), state=state, states=QUEUE_STATES,
        counts=services.queue_counts(), form=ActionForm(),
    )  # fmt: skip


@bp.post("/organise/privacy/requests/<int:request_id>/process")
@role_required("organiser")
def process_request(request_id: int):
    row = db.session.get(PrivacyRequest, request_id) or abort(404)
    if not ActionForm().validate_on_submit():
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
        return redirect(url_for("privacy.requests_queue"))
    kind = row.kind
    outcome = commit_change(lambda: services.process(row, _me()), flash_refusal=True)
    if outcome.ok and kind == RequestKind.CORRECTION:
        flash(_("Request %(id)s is carried out: the certificate is re-issued with the corrected name and the learner is emailed.", id=request_id), "success")  # fmt: skip
    elif outcome.ok:
        flash(_("Request %(id)s is carried out: the person's data is de-identified and they are told by email.", id=request_id), "success")  # fmt: skip
    return redirect(url_for("privacy.requests_queue"))


@bp.post("/my/certificates/<int:certificate_id>/correction")
@login_required
def request_correction(certificate_id: int):
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.user_id != current_user.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
        return redirect(url_for("certificates.mine"))
    outcome = commit_change(lambda: services.request_correction(_me(), certificate_id), flash_refusal=True)
    if outcome.ok:
        flash(_("Your request is recorded. The organisers will re-issue the certificate with your corrected name and email you."), "success")  # fmt: skip
    return redirect(url_for("certificates.mine"))
