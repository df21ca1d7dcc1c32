"""My schedule: every edition a learner is registered for, their seats and waiting
places, join links, the check-in form of a session on now, what they may still change, open
pre-tests and evaluations, and their certificates. A page above the domains it shows:
enrollment, attendance (check-in), quizzes (open pre-tests), evaluations and certificates."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from lms.attendance.checkin import is_open as checkin_open
from lms.certificates.services import certificates_of_user
from lms.db import utcnow
from lms.enrollment import services as enrollment
from lms.enrollment.schedule import schedule_of
from lms.evaluations.answering import open_evaluations
from lms.quizzes.services import open_pretests

bp = Blueprint("my", __name__)


@bp.get("/my/schedule")
@login_required
def schedule():
    registrations = schedule_of(current_user)
    now = utcnow()
    choices = [choice for registration in registrations for choice in registration.current_choices()]
    return render_template(
        "pages/schedule.html",
        registrations=registrations,
        positions=enrollment.waiting_positions(choices),
        to_choose={
            registration.id: enrollment.modules_to_choose(registration) for registration in registrations
        },
        movable={
            registration.id: enrollment.runs_to_move_to(registration, now) for registration in registrations
        },
        now=now,
        join_link_visible=enrollment.join_link_visible,
        checkin_open=checkin_open,
        change_deadline=enrollment.change_deadline,
        certificates=certificates_of_user(current_user),
        evaluations=open_evaluations(current_user, now),
        pretests=open_pretests(current_user, now),
    )
