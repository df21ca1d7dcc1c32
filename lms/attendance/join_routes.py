"""/join/<run>: the only way into a live session's video call (see lms.attendance.joining)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lms.attendance import joining
from lms.catalogue.models import Run
from lms.extensions import db
from lms.transactions import commit_change, writes

bp = Blueprint("joining", __name__)

REFUSALS = {
    joining.JoinRefusal.NO_SEAT: _l(
        "You have no seat in this session, so its join link does not open for you. "
        "Register for the course or choose this session on My schedule to take part."
    ),
    joining.JoinRefusal.CANCELLED: _l("This session is cancelled: there is nothing to join."),
    joining.JoinRefusal.NO_LINK: _l(
        "The organisers have not set the video link of this session yet. Please try again "
        "closer to the start; My schedule shows the session's time."
    ),
}


# A GET that writes, on purpose: the join link is clicked from calendar events and
# emails, so it must be a plain link, not a form. The write is a log line of the click
# (who went in, when), the same in effect however often it is followed; it changes no
# seat, mark or setting.
@bp.get("/join/<int:run_id>")
@login_required
@writes
def join(run_id: int):
    run = db.session.get(Run, run_id) or abort(404)
    outcome = commit_change(
        lambda: joining.join(run, current_user), refusals={joining.JoinRefused: _l("Refused")}
    )
    if outcome.ok:
        response = redirect(outcome.value)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response
    reason = outcome.refusal.reason
    module = run.module
    if reason is joining.JoinRefusal.NO_SEAT:
        flash(REFUSALS[reason], "error")
        return redirect(url_for("catalogue.module", slug=module.course.slug, key=module.key))
    return render_template(
        "attendance/join.html", run=run, module=module, course=module.course, message=REFUSALS[reason]
    )
