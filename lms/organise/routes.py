"""The organisers' pages under /organise: editions, modules, runs, copying, cancelling.

Organisers only (trainers and learners get 403, guests the sign-in page). Each page
parses its form, calls one service, commits once and redirects; a refusal rolls back
everything and shows the form again with the message next to its field.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.auth import role_required
from lms.catalogue.models import Course, Module, Run
from lms.db import utcnow
from lms.enrollment import services as enrollment
from lms.enrollment.services import waiting_counts
from lms.errors import FieldError
from lms.extensions import db
from lms.mail.outbox import mail_health
from lms.organise import checks, copying, runs
from lms.organise import editions as editing
from lms.organise.forms import ActionForm, CancelRunForm, CopyForm, CourseForm, ModuleForm, RunForm
from lms.quizzes.models import Quiz, QuizPurpose
from lms.transactions import Outcome, commit_change

# Two organisers saving the same address at once: the unique index decides.
SAVED_AT_ONCE = _l("Someone else saved a change at the same moment, so nothing was saved. Please check the page and try again.")  # fmt: skip

bp = Blueprint("organise", __name__, url_prefix="/organise")

ORGANISER = "organiser"


def save(form, action) -> Outcome:
    """Run the service ``action`` through ``commit_change``; a refusal about one field is
    shown next to that field, any other above the form."""
    outcome = commit_change(action, refusals={IntegrityError: SAVED_AT_ONCE})
    if isinstance(outcome.refusal, FieldError) and form.add_error(outcome.refusal.field, outcome.error):
        return Outcome(
            error=_("Nothing was saved. Please correct the marked fields."), refusal=outcome.refusal
        )
    return outcome


def invalid_form_message() -> str | None:
    """After a failed validation: the page says so above the marked fields."""
    if request.method == "POST":
        return _("Nothing was saved. Please correct the marked fields.")
    return None


def edition_or_404(slug: str) -> Course:
    return editing.find_edition(slug) or abort(404)


def module_or_404(course: Course, key: str) -> Module:
    return next((module for module in course.modules if module.key == key), None) or abort(404)


# -- editions --------------------------------------------------------------------------


@bp.get("/courses")
@role_required(ORGANISER)
def editions():
    return render_template(
        "organise/editions.html", courses=editing.all_editions(), now=utcnow(), mail=mail_health()
    )


@bp.route("/courses/new", methods=["GET", "POST"])
@role_required(ORGANISER)
def new_edition():
    form = CourseForm.build()
    form.timezone.choices = checks.time_zones()
    if request.method == "GET":
        form.timezone.data = checks.time_zones()[0]
    if form.validate_on_submit():
        outcome = save(form, lambda: editing.create_course(form.details(), current_user))
        if outcome.ok:
            flash(_("The edition is saved as a draft. Add its modules and runs next."), "success")
            return redirect(url_for("organise.edition", slug=outcome.value.slug))
        error = outcome.error
    else:
        error = invalid_form_message()
    return render_template("organise/course_form.html", form=form, course=None, error=error)


@bp.get("/courses/<slug>")
@role_required(ORGANISER)
def edition(slug: str):
    course = edition_or_404(slug)
    module_ids = [module.id for module in course.modules] or [0]
    rows = db.session.execute(
        select(Quiz.module_id, Quiz.purpose, Quiz.id).where(Quiz.module_id.in_(module_ids))
    ).all()
    quizzes = {module_id: id_ for module_id, purpose, id_ in rows if purpose == QuizPurpose.MODULE}
    pretests = {module_id: id_ for module_id, purpose, id_ in rows if purpose == QuizPurpose.PRETEST}
    return render_template(
        "organise/edition.html",
        course=course,
        waiting=waiting_counts(course),
        quizzes=quizzes,
        pretests=pretests,
        action_form=ActionForm(),
        now=utcnow(),
    )


@bp.route("/courses/<slug>/settings", methods=["GET", "POST"])
@role_required(ORGANISER)
def edit_edition(slug: str):
    course = edition_or_404(slug)
    form = CourseForm.build()
    zones = checks.time_zones()
    form.timezone.choices = zones if course.timezone in zones else [course.timezone, *zones]
    if request.method == "GET":
        form.load(course)
    if form.validate_on_submit():
        outcome = save(form, lambda: editing.update_course(course, form.details(), current_user))
        if outcome.ok:
            flash(_("The edition's settings are saved."), "success")
            return redirect(url_for("organise.edition", slug=course.slug))
        error = outcome.error
        course = edition_or_404(slug)
    else:
        error = invalid_form_message()
    return render_template("organise/course_form.html", form=form, course=course, error=error)


@bp.route("/courses/<slug>/copy", methods=["GET", "POST"])
@role_required(ORGANISER)
def copy_edition(slug: str):
    course = edition_or_404(slug)
    form = CopyForm.build()
    if form.validate_on_submit():
        outcome = save(
            form,
            lambda: copying.copy_edition(
                course,
                form.slug.data,
                form.starts_on.data,
                current_user,
                title=form.texts("title"),
                registration_opens=form.registration_opens(),
                registration_closes=form.registration_closes(),
            ),
        )
        if outcome.ok:
            flash(
                _("The new edition %(slug)s is saved as a draft, with every session moved. Check it, then publish it.", slug=outcome.value.slug),
                "success",
            )  # fmt: skip
            return redirect(url_for("organise.edition", slug=outcome.value.slug))
        error = outcome.error
        course = edition_or_404(slug)
    else:
        error = invalid_form_message()
    return render_template(
        "organise/copy.html", form=form, course=course, first_day=copying.first_day(course), error=error
    )


# -- modules ---------------------------------------------------------------------------


@bp.route("/courses/<slug>/modules/new", methods=["GET", "POST"])
@role_required(ORGANISER)
def new_module(slug: str):
    course = edition_or_404(slug)
    form = ModuleForm.build()
    if request.method == "GET":
        form.position.data = len(course.modules) + 1
    if form.validate_on_submit():
        outcome = save(form, lambda: editing.add_module(course, form.details(), current_user))
        if outcome.ok:
            flash(_("The module is saved. Add its runs next."), "success")
            return redirect(url_for("organise.edition", slug=slug) + f"#module-{outcome.value.key}")
        error = outcome.error
        course = edition_or_404(slug)
    else:
        error = invalid_form_message()
    return render_template("organise/module_form.html", form=form, course=course, module=None, error=error)


@bp.route("/courses/<slug>/modules/<key>", methods=["GET", "POST"])
@role_required(ORGANISER)
def edit_module(slug: str, key: str):
    course = edition_or_404(slug)
    module = module_or_404(course, key)
    form = ModuleForm.build()
    if request.method == "GET":
        form.load(module)
    if form.validate_on_submit():
        outcome = save(form, lambda: editing.update_module(module, form.details(), current_user))
        if outcome.ok:
            flash(_("The module is saved."), "success")
            return redirect(url_for("organise.edition", slug=slug) + f"#module-{key}")
        error = outcome.error
        course = edition_or_404(slug)
        module = module_or_404(course, key)
    else:
        error = invalid_form_message()
    return render_template("organise/module_form.html", form=form, course=course, module=module, error=error)


@bp.post("/courses/<slug>/modules/<key>/move")
@role_required(ORGANISER)
def move_module(slug: str, key: str):
    course = edition_or_404(slug)
    module = module_or_404(course, key)
    if not ActionForm().validate_on_submit() or request.form.get("direction") not in ("up", "down"):
        abort(400)
    step = -1 if request.form["direction"] == "up" else 1
    commit_change(lambda: editing.move_module(module, step, current_user), flash_refusal=True)
    return redirect(url_for("organise.edition", slug=slug) + f"#module-{key}")


# -- runs ------------------------------------------------------------------------------


def _run_form() -> RunForm:
    form = RunForm.build()
    form.set_trainers(runs.trainers())
    return form


@bp.route("/courses/<slug>/modules/<key>/runs/new", methods=["GET", "POST"])
@role_required(ORGANISER)
def new_run(slug: str, key: str):
    course = edition_or_404(slug)
    module = module_or_404(course, key)
    form = _run_form()
    if form.validate_on_submit():
        outcome = save(form, lambda: runs.add_run(module, form.details(), current_user))
        if outcome.ok:
            flash(_("The run is saved."), "success")
            return redirect(url_for("organise.edition", slug=slug) + f"#run-{outcome.value.id}")
        error = outcome.error
        course = edition_or_404(slug)
        module = module_or_404(course, key)
    else:
        error = invalid_form_message()
    return render_template(
        "organise/run_form.html", form=form, course=course, module=module, run=None, error=error
    )


def run_or_404(run_id: int) -> Run:
    return editing.find_run(run_id) or abort(404)


@bp.route("/runs/<int:run_id>", methods=["GET", "POST"])
@role_required(ORGANISER)
def edit_run(run_id: int):
    run = run_or_404(run_id)
    form = _run_form()
    if request.method == "GET":
        form.load(run)
    if run.is_cancelled:
        error = _("This run is cancelled, so it can no longer be changed.")
    elif form.validate_on_submit():
        outcome = save(form, lambda: runs.update_run(run, form.details(), current_user))
        if outcome.ok:
            flash_run_update(outcome.value)
            return redirect(url_for("organise.edition", slug=run.module.course.slug) + f"#run-{run.id}")
        error = outcome.error
        run = run_or_404(run_id)
    else:
        error = invalid_form_message()
    return render_template(
        "organise/run_form.html", form=form, course=run.module.course, module=run.module, run=run, error=error
    )


def flash_run_update(update: runs.RunUpdate) -> None:
    if not update.changed:
        flash(_("Nothing had changed."), "info")
        return
    flash(_("The run is saved."), "success")
    if update.rescheduled:
        flash(
            ngettext(
                "%(num)s learner was emailed the new time with a calendar update.",
                "%(num)s learners were emailed the new time with a calendar update.",
                update.told,
            ),
            "info",
        )
    if update.promoted:
        flash(
            ngettext(
                "%(num)s person on the waiting list got a seat and was emailed.",
                "%(num)s people on the waiting list got a seat and were emailed.",
                update.promoted,
            ),
            "info",
        )


@bp.route("/runs/<int:run_id>/cancel", methods=["GET", "POST"])
@role_required(ORGANISER)
def cancel_run(run_id: int):
    run = run_or_404(run_id)
    if run.is_cancelled:
        flash(_("This run is already cancelled."), "info")
        return redirect(url_for("organise.edition", slug=run.module.course.slug) + f"#run-{run.id}")
    form = CancelRunForm.build()
    if form.validate_on_submit():
        outcome = save(form, lambda: runs.cancel_run(run, form.texts("reason"), current_user))
        if outcome.ok:
            flash(
                ngettext(
                    "The run is cancelled. %(num)s learner was emailed and offered the module's other run.",
                    "The run is cancelled. %(num)s learners were emailed and offered the module's other run.",
                    outcome.value,
                ),
                "success",
            )
            return redirect(url_for("organise.edition", slug=run.module.course.slug) + f"#run-{run.id}")
        error = outcome.error
        run = run_or_404(run_id)
    else:
        error = invalid_form_message()
    return render_template(
        "organise/cancel_run.html",
        form=form,
        run=run,
        course=run.module.course,
        learners=len(enrollment.current_choices(run)),
        error=error,
    )
