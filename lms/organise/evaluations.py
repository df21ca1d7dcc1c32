"""Organisers set up an edition's evaluations: the standard forms on every module, the
edition's settings (required for the certificate, trainers see their results, months
before the follow-up), each form's close date and its items (until the first answer)."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, TimeField
from wtforms.validators import NumberRange, Optional

from lms.accounts.auth import role_required
from lms.catalogue.models import Course
from lms.deadlines import last_instant
from lms.evaluations import forms_setup
from lms.evaluations.models import EvaluationForm, EvaluationItem, ItemKind
from lms.extensions import db
from lms.numbers import WholeNumberField
from lms.organise import checks
from lms.organise import editions as editing
from lms.organise.routes import save
from lms.transactions import commit_change

bp = Blueprint("organise_evaluations", __name__, url_prefix="/organise/courses/<slug>/evaluations")
ORGANISER = "organiser"

KIND_LABELS = {
    ItemKind.RATING: _l("Rating from 1 to 5"),
    ItemKind.SINGLE: _l("Single choice"),
    ItemKind.MULTIPLE: _l("Multiple choice"),
    ItemKind.TEXT: _l("Free text"),
}


class ActionForm(FlaskForm):
    """Carries the CSRF token of the page's buttons and item forms."""


class SettingsForm(FlaskForm):
    required_for_certificate = BooleanField(
        _l("The evaluation of each module is required for the certificate")
    )
    trainers_see_results = BooleanField(_l("Trainers see the results of the modules they teach"))
    follow_up_months = WholeNumberField(
        _l("Send the follow-up survey this many months after a learner completes"),
        validators=[NumberRange(1, 24, _l("Please give a number of months from 1 to 24."))],
    )


class CloseForm(FlaskForm):
    closes_on = DateField(_l("Closes on"), validators=[Optional()])
    closes_at = TimeField(_l("at (course time)"), validators=[Optional()])
    no_close = BooleanField(_l("No close date: the form stays open"))


def _edition(slug: str) -> Course:
    return editing.find_edition(slug) or abort(404)


def _form_of(course: Course, form_id: int) -> EvaluationForm:
    form = db.session.get(EvaluationForm, form_id)
    if form is None or form.course_id != course.id:
        abort(404)
    return form


def _item_of(form: EvaluationForm, item_id: int) -> EvaluationItem:
    return next((item for item in form.items if item.id == item_id), None) or abort(404)


@bp.route("", methods=["GET", "POST"])
@role_required(ORGANISER)
def forms(slug: str):
    course = _edition(slug)
    settings = forms_setup.settings_of(course.id)
    # What was posted only: a missing field must not fall back on the stored value.
    form = SettingsForm(obj=settings) if request.method == "GET" else SettingsForm()
    if form.validate_on_submit():
        outcome = save(form, lambda: forms_setup.save_settings(
            course, current_user, required_for_certificate=form.required_for_certificate.data,
            trainers_see_results=form.trainers_see_results.data, follow_up_months=form.follow_up_months.data))  # fmt: skip
        if outcome.ok:
            flash(_("The evaluation settings are saved."), "success")
            return redirect(url_for("organise_evaluations.forms", slug=slug))
        flash(outcome.error, "error")
    return render_template(
        "organise/evaluations.html", course=course, form=form, forms=forms_setup.forms_of(course),
        action_form=ActionForm(), modules={module.id: module for module in course.modules},
    )  # fmt: skip


@bp.post("/template")
@role_required(ORGANISER)
def apply_template(slug: str):
    course = _edition(slug)
    if ActionForm().validate_on_submit():
        outcome = commit_change(lambda: forms_setup.apply_template(course, current_user), flash_refusal=True)
        if outcome.ok:
            flash(_("Standard forms added: %(num)s.", num=outcome.value), "success")
    return redirect(url_for("organise_evaluations.forms", slug=slug))


def _texts(prefix: str) -> dict:
    return {"vi": request.form.get(f"{prefix}_vi", ""), "en": request.form.get(f"{prefix}_en", "")}


def _options() -> list[dict]:
    """Options typed one per line as "Vietnamese | English"."""
    options = []
    for line in request.form.get("options", "").splitlines():
        if line.strip():
            vi, _sep, en = line.partition("|")
            options.append({"vi": vi.strip(), "en": en.strip()})
    return options


@bp.route("/<int:form_id>", methods=["GET", "POST"])
@role_required(ORGANISER)
def edit(slug: str, form_id: int):
    course = _edition(slug)
    evaluation = _form_of(course, form_id)
    close = CloseForm()
    if request.method == "GET" and evaluation.closes_at is not None:
        local = evaluation.closes_at.astimezone(course.zone)
        close.closes_on.data, close.closes_at.data = (
            local.date(),
            local.time().replace(second=0, microsecond=0),
        )
    if close.validate_on_submit():
        closes = None
        if close.closes_on.data is not None:
            typed = datetime.combine(close.closes_on.data, close.closes_at.data or time(23, 59))
            outcome = save(close, lambda: forms_setup.set_closes_at(
                evaluation, current_user, last_instant(checks.to_utc(typed, course.zone, "closes_at"))))  # fmt: skip
        elif close.no_close.data:
            outcome = save(close, lambda: forms_setup.set_closes_at(evaluation, current_user, closes))
        else:
            close.closes_on.errors = [
                *close.closes_on.errors,
                _('Please give a day, or tick "No close date".'),
            ]
            outcome = None
        if outcome is not None and outcome.ok:
            flash(_("The close date is saved."), "success")
            return redirect(url_for("organise_evaluations.edit", slug=slug, form_id=form_id))
        if outcome is not None:
            flash(outcome.error, "error")
    module = next((module for module in course.modules if module.id == evaluation.module_id), None)
    return render_template(
        "organise/evaluation_form.html", course=course, evaluation=evaluation, module=module, close=close,
        action_form=ActionForm(), kinds=KIND_LABELS,
    )  # fmt: skip


def _change(slug: str, form_id: int, change, done: str):
    if ActionForm().validate_on_submit():
        outcome = commit_change(change, flash_refusal=True)
        if outcome.ok:
            flash(done, "success")
    else:
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
    return redirect(url_for("organise_evaluations.edit", slug=slug, form_id=form_id))


@bp.post("/<int:form_id>/items")
@role_required(ORGANISER)
def add_item(slug: str, form_id: int):
    evaluation = _form_of(_edition(slug), form_id)
    kind = request.form.get("kind", "")
    required = request.form.get("required") == "y"
    return _change(slug, form_id, lambda: forms_setup.add_item(
        evaluation, current_user, kind, _texts("text"), _options(), required), _("The question is added."))  # fmt: skip


@bp.post("/<int:form_id>/items/<int:item_id>")
@role_required(ORGANISER)
def update_item(slug: str, form_id: int, item_id: int):
    item = _item_of(_form_of(_edition(slug), form_id), item_id)
    required = request.form.get("required") == "y"
    return _change(slug, form_id, lambda: forms_setup.update_item(
        item, current_user, _texts("text"), _options(), required), _("The question is saved."))  # fmt: skip


@bp.post("/<int:form_id>/items/<int:item_id>/delete")
@role_required(ORGANISER)
def remove_item(slug: str, form_id: int, item_id: int):
    item = _item_of(_form_of(_edition(slug), form_id), item_id)
    return _change(
        slug, form_id, lambda: forms_setup.remove_item(item, current_user), _("The question is removed.")
    )


@bp.post("/<int:form_id>/items/<int:item_id>/move/<any(up, down):direction>")
@role_required(ORGANISER)
def move_item(slug: str, form_id: int, item_id: int, direction: str):
    item = _item_of(_form_of(_edition(slug), form_id), item_id)
    return _change(
        slug, form_id, lambda: forms_setup.move_item(item, current_user, direction), _("The order is saved.")
    )
