"""Check-in: the learner's form (from My schedule or the sheet's QR code) and the
trainer's "new code now" button (lms.attendance.checkin)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField

from lms.attendance import checkin
from lms.attendance.joining import holds_seat
from lms.attendance.routes import managed_run
from lms.catalogue.models import Run
from lms.db import utcnow
from lms.extensions import db
from lms.transactions import commit_change

bp = Blueprint("checkin", __name__)


class CheckInForm(FlaskForm):
    code = StringField()


class RotateForm(FlaskForm):
    """Carries the CSRF token of the "new code now" button."""


@bp.route("/checkin/<int:run_id>", methods=["GET", "POST"])
@login_required
def check_in(run_id: int):
    run = db.session.get(Run, run_id) or abort(404)
    form = CheckInForm()
    if request.method == "GET":
        form.code.data = checkin.normalise(request.args.get("code", ""))
    error = None
    if form.validate_on_submit():
        outcome = commit_change(lambda: checkin.check_in(run, current_user, form.code.data or ""))
        if outcome.ok and outcome.value is checkin.CheckedIn.WRONG:
            # The wrong try is saved (the throttle counts it): answered with a redirect.
            flash(
                _("This is not the check-in code of this session. Please type the code the trainer shows."),
                "error",
            )
            return redirect(url_for("checkin.check_in", run_id=run.id))
        elif outcome.ok:
            if outcome.value is checkin.CheckedIn.PRESENT:
                flash(_("You are checked in: marked present."), "success")
            else:
                flash(_("Your attendance for this session is already marked; it stays as it is."), "info")
            return redirect(url_for("my.schedule"))
        else:
            error = outcome.error
    elif request.method == "POST":
        error = _("The form was incomplete, so nothing was changed. Please try again.")
    module = run.module
    return render_template(
        "attendance/checkin.html",
        run=run,
        module=module,
        course=module.course,
        form=form,
        error=error,
        has_seat=holds_seat(current_user, run),
        is_open=checkin.is_open(run, utcnow()),
    )


@bp.post("/teach/runs/<int:run_id>/checkin/rotate")
@login_required
def rotate(run_id: int):
    run = managed_run(run_id)
    if RotateForm().validate_on_submit():
        outcome = commit_change(lambda: checkin.rotate(run, current_user), flash_refusal=True)
        if outcome.ok:
            flash(_("A new check-in code is shown; the previous one no longer works."), "success")
    return redirect(url_for("attendance.sheet", run_id=run.id))
