"""Progress toward the certificate: the learner's own page, and the organiser's view of
a learner with completion exceptions. A page above the domains it shows: completion
(attendance, quizzes, exceptions) and certificates."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from lms.accounts.auth import role_required
from lms.accounts.models import User
from lms.catalogue.services import find_published_course
from lms.certificates import services as certificates
from lms.completion import exceptions as completion_exceptions
from lms.completion.models import CompletionException
from lms.completion.progress import progress
from lms.enrollment import services as services_enrollment
from lms.extensions import db
from lms.transactions import commit_change

bp = Blueprint("progress", __name__)


class CsrfForm(FlaskForm):
    """Carries the CSRF token of a form whose fields are read from the request."""


@bp.get("/my/progress/<slug>")
@login_required
def my_progress(slug: str):
    course = find_published_course(slug) or abort(404)
    if services_enrollment.find_registration(current_user, course) is None:
        abort(404)
    return render_template(
        "pages/progress.html",
        progress=progress(current_user, course),
        course=course,
        certificate=certificates.valid_certificate(current_user, course),
    )


class ExceptionForm(FlaskForm):
    module_id = SelectField(_l("Module"), coerce=int)
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Please give the reason; it is kept in the audit log."))]
    )


@bp.route("/organise/courses/<slug>/learners/<int:user_id>/progress", methods=["GET", "POST"])
@role_required("organiser")
def learner_progress(slug: str, user_id: int):
    """An organiser sees a learner's progress and may count a module as done, with a reason."""
    course = find_published_course(slug) or abort(404)
    learner = db.session.get(User, user_id) or abort(404)
    if not services_enrollment.is_registered(learner, course.id):
        abort(404)
    form = ExceptionForm()
    form.module_id.choices = [
        SelectChoice(module.id, _("Module %(num)s", num=module.position)) for module in course.modules
    ]
    if form.validate_on_submit():
        module = next(module for module in course.modules if module.id == form.module_id.data)
        outcome = commit_change(
            lambda: completion_exceptions.record_exception(learner, module, form.reason.data, current_user),
            flash_refusal=True,
        )
        if outcome.ok:
            flash(_("The exception is recorded."), "success")
            return redirect(url_for("progress.learner_progress", slug=slug, user_id=user_id))
    return render_template(
        "pages/progress.html",
        progress=progress(learner, course),
        course=course,
        learner=learner,
        form=form,
        revoke_form=CsrfForm(),
        exceptions=completion_exceptions.exceptions_of(learner, course),
        certificate=certificates.valid_certificate(learner, course),
    )


@bp.post("/organise/courses/<slug>/learners/<int:user_id>/exceptions/<int:exception_id>/revoke")
@role_required("organiser")
def revoke_exception(slug: str, user_id: int, exception_id: int):
    course = find_published_course(slug) or abort(404)
    exception = db.session.get(CompletionException, exception_id)
    if exception is None or exception.course_id != course.id or exception.user_id != user_id:
        abort(404)
    if not CsrfForm().validate_on_submit():
        abort(400)
    reason = request.form.get("reason", "")
    outcome = commit_change(
        lambda: completion_exceptions.revoke_exception(exception, reason, current_user), flash_refusal=True
    )
    if outcome.ok:
        flash(_("The exception is revoked."), "success")
    return redirect(url_for("progress.learner_progress", slug=slug, user_id=user_id))
