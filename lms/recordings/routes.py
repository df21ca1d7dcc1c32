"""Recordings: the run's page where its trainers and organisers add them, and watching
one (a link to follow, or a stored file served after the access check)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, StringField
from wtforms.validators import InputRequired

from lms.catalogue.models import Run
from lms.db import utcnow
from lms.errors import render_error
from lms.extensions import db
from lms.materials.serving import stored_file_response
from lms.recordings import services
from lms.recordings.models import Recording
from lms.transactions import commit_change

bp = Blueprint("recordings", __name__)


class RecordingForm(FlaskForm):
    url = StringField(
        _l("Web address of the recording"),
        description=_l("Starting with https://, e.g. the video platform's share link."),
    )
    file = FileField(
        _l("Or upload the file"), description=_l("MP4 video or PDF; the same size limit as materials.")
    )
    expires_on = DateField(
        _l("Visible until (inclusive)"),
        validators=[InputRequired(_l("Please choose the day the recording expires."))],
    )


def _run_to_manage(run_id: int) -> Run:
    run = db.session.get(Run, run_id) or abort(404)
    if not services.may_add(current_user, run):
        abort(403)
    return run


@bp.route("/teach/runs/<int:run_id>/recordings", methods=["GET", "POST"])
@login_required
def manage(run_id: int):
    run = _run_to_manage(run_id)
    form = RecordingForm()
    if request.method == "GET":
        form.expires_on.data = (utcnow() + timedelta(days=90)).astimezone(run.module.course.zone).date()
    if form.validate_on_submit():
        upload = form.file.data
        has_file = bool(upload and getattr(upload, "filename", ""))
        outcome = commit_change(
            lambda: services.add_recording(
                run,
                current_user,
                form.expires_on.data,
                url="" if has_file else (form.url.data or ""),
                filename=upload.filename if has_file else "",
                stream=upload.stream if has_file else None,
            )
        )
        if outcome.ok:
            flash(_("The recording is added."), "success")
            return redirect(url_for("recordings.manage", run_id=run.id))
        form.url.errors = [outcome.error]
    return render_template(
        "recordings/manage.html",
        run=run,
        module=run.module,
        course=run.module.course,
        form=form,
        recordings=services.recordings_of_run(run),
        now=utcnow(),
    )


@bp.get("/recordings/<int:recording_id>")
@login_required
def watch(recording_id: int):
    recording = db.session.get(Recording, recording_id) or abort(404)
    if not services.may_watch(current_user, recording):
        abort(404)
    if recording.is_expired(utcnow()):
        return render_error(404, _("This recording has expired and can no longer be watched."))
    if not recording.is_file:
        return redirect(recording.url)
    return _send(recording)


def _send(recording: Recording):
    return stored_file_response(
        storage_key=recording.storage_key, content_type=recording.content_type, filename=recording.filename,
        size=recording.size, sha256=recording.sha256,
    )  # fmt: skip
