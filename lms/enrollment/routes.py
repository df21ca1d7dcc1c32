"""Registering, "My schedule", switching and cancelling; the organiser's seat overview."""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from lms.accounts.auth import role_required
from lms.accounts.choices import GENDERS, ORGANISATION_TYPES, PROVINCES, label_for
from lms.catalogue.models import Run
from lms.catalogue.services import find_published_course
from lms.catalogue.shown import shown_edition
from lms.consent.models import Purpose
from lms.consent.services import active_purposes, parse_purposes
from lms.db import parse_integer, utcnow
from lms.enrollment import services
from lms.enrollment.forms import (
    CancelForm,
    CapacityForm,
    ConfirmForm,
    RegistrationForm,
    SwitchForm,
    parse_picks,
)
from lms.enrollment.models import ChoiceStatus, Registration, RunChoice
from lms.extensions import db
from lms.transactions import commit_change, reads_first

bp = Blueprint("enrollment", __name__)


@bp.route("/courses/<slug>/register", methods=["GET", "POST"])
@login_required
@reads_first  # the service takes SQLite's write lock for the seats and rows alone
def register(slug: str):
    # Read lean (plain rows, no mapped objects): the form and the service need only the
    # edition's dates, modules, runs, seats and trainers' names; loading the mapped
    # edition was a quarter of the POST. Seats are read live, never from a cache.
    course = shown_edition(slug) or abort(404)
    if services.is_registered(current_user, course.id):
        flash(_("You are already registered for this course."), "info")
        return redirect(url_for("my.schedule"))
    form = RegistrationForm()
    picks, raw = parse_picks(request.form)
    ticked = set(request.form.getlist("consent"))
    error = consent_error = None
    if form.validate_on_submit():
        already = _("You are already registered for this course.")

        def register_with_consent():
            purposes = parse_purposes(ticked)
            return services.register(
                current_user, course, picks, accepted_privacy=Purpose.COURSE in purposes, consents=purposes
            )

        outcome = commit_change(
            register_with_consent,
            refusals={IntegrityError: already},  # the same learner submitting twice at once
        )
        if outcome.error is already:
            flash(already, "info")
            return redirect(url_for("my.schedule"))
        if not outcome.ok and (getattr(outcome.refusal, "field", None) or "").startswith("consent"):
            consent_error = outcome.error
        elif not outcome.ok:
            error = outcome.error
        else:
            flash(
                _("You are registered. Your sessions are below and a confirmation email is on its way."),
                "success",
            )
            return redirect(url_for("my.schedule"))
    elif request.method == "POST":
        error = _("Please correct the marked fields; your choices are kept.")
    return render_template(
        "enrollment/register.html",
        course=course,
        form=form,
        chosen=raw,
        error=error,
        ticked=ticked,
        consent_error=consent_error,
        active=active_purposes(current_user),
        # the form tells how many wait only where a run is full (often none: no query)
        waiting=services.waiting_counts_of(run.id for run in course.runs if run.seats_left == 0),
        now=utcnow(),
        profile=profile_summary(current_user),
    )


def profile_summary(user) -> list[tuple[str, str]]:
    """The learner's details as they will be used, with a dash for anything left empty."""
    rows = [
        (_("Full name"), user.full_name),
        (_("Email"), user.email),
        (_("Organisation"), user.organisation),
        (_("Type of organisation"), label_for(ORGANISATION_TYPES, user.organisation_type)),
        (_("Job title"), user.job_title),
        (_("Province or city"), label_for(PROVINCES, user.province)),
        (_("Gender"), label_for(GENDERS, user.gender)),
    ]
    return [(label, value or "—") for label, value in rows]


def _own_registration(registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.user_id != current_user.id:
        abort(404)
    return registration


@bp.post("/my/registrations/<int:registration_id>/switch")
@login_required
def switch(registration_id: int):
    registration = _own_registration(registration_id)
    form = SwitchForm()
    run_id = parse_integer(form.run_id.data)
    if not form.validate_on_submit() or run_id is None:
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
        return redirect(url_for("my.schedule"))
    outcome = commit_change(
        lambda: services.switch_run(current_user, registration, run_id), flash_refusal=True
    )
    if outcome.ok:
        flash(*_switch_outcome(registration, outcome.value))
    return redirect(url_for("my.schedule"))


def _switch_outcome(registration: Registration, changes: services.Changes) -> tuple[str, str]:
    """What a switch did, in words: learners whose run was cancelled have no seat to give up."""
    if changes.confirmed:
        mine = [choice for choice in changes.released if choice.user_id == registration.user_id]
        if any(choice.status == ChoiceStatus.SWITCHED for choice in mine):
            return _(
                "Done: you have a seat in the new run, and your old seat went to the next person."
            ), "success"
        return _("Done: you have a seat in this run."), "success"
    module_id = changes.waiting[0].module_id
    if any(
        choice.is_confirmed and choice.module_id == module_id for choice in registration.current_choices()
    ):
        return _(
            "That run is full: you are on its waiting list and keep your current seat until a seat is free."
        ), "info"
    return _(
        "That run is full: you are on its waiting list, and we will email you as soon as a seat is yours."
    ), "info"


@bp.post("/my/choices/<int:choice_id>/leave")
@login_required
def leave_waiting_list(choice_id: int):
    choice = db.session.get(RunChoice, choice_id)
    if choice is None or choice.user_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if commit_change(lambda: services.leave_waiting_list(current_user, choice), flash_refusal=True).ok:
        flash(_("You have left the waiting list."), "success")
    return redirect(url_for("my.schedule"))


@bp.route("/my/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(registration_id: int):
    registration = _own_registration(registration_id)
    if not registration.is_active:
        flash(_("This registration is already cancelled."), "info")
        return redirect(url_for("my.schedule"))
    form = CancelForm()
    if form.validate_on_submit():
        if not commit_change(
            lambda: services.cancel_registration(current_user, registration), flash_refusal=True
        ).ok:
            return redirect(url_for("my.schedule"))
        flash(_("Your registration is cancelled and your seats are released."), "success")
        return redirect(url_for("catalogue.course", slug=registration.course.slug))
    return render_template("enrollment/cancel.html", registration=registration, form=form)


# -- organisers ----------------------------------------------------------------------


@bp.get("/organise/courses/<slug>/runs")
@role_required("organiser")
def seats(slug: str):
    course = find_published_course(slug) or abort(404)
    by_run = defaultdict(list)
    for choice in services.course_registrants(course):
        by_run[choice.run_id].append(choice)
    return render_template(
        "enrollment/seats.html",
        course=course,
        by_run=by_run,
        waiting=services.waiting_counts(course),
        capacity_form=CapacityForm(),
        now=utcnow(),
    )


@bp.post("/organise/runs/<int:run_id>/capacity")
@role_required("organiser")
def change_capacity(run_id: int):
    run = db.session.get(Run, run_id) or abort(404)
    form = CapacityForm()
    slug = run.module.course.slug
    if not form.validate_on_submit():
        for message in form.capacity.errors:
            flash(message, "error")
        return redirect(url_for("enrollment.seats", slug=slug))
    outcome = commit_change(
        lambda: services.set_capacity(run, form.capacity.data, current_user), flash_refusal=True
    )
    if outcome.ok:
        flash(
            _(
                "Capacity saved. %(count)s people were moved from the waiting list to a seat.",
                count=len(outcome.value.promoted),
            ),
            "success",
        )
    return redirect(url_for("enrollment.seats", slug=slug) + f"#run-{run_id}")
