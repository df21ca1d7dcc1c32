"""The learner's evaluations: the list of open ones and answering a form."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from lms.catalogue.models import Course, Module
from lms.db import utcnow
from lms.errors import ServiceError
from lms.evaluations import answering
from lms.evaluations.models import EvaluationForm, ItemKind
from lms.extensions import db
from lms.transactions import commit_change

bp = Blueprint("evaluations", __name__)


class AnswerForm(FlaskForm):
    """Carries the CSRF token; the answers are read from ``item-<id>`` fields."""


@bp.get("/my/evaluations")
@login_required
def mine():
    return render_template(
        "evaluations/mine.html", evaluations=answering.open_evaluations(current_user, utcnow())
    )


def _posted_answers(form: EvaluationForm) -> dict:
    """{item id (as sent): value}; several values for a multiple choice."""
    kinds = {str(item.id): item.kind for item in form.items}
    answers = {}
    for name in request.form:
        if not name.startswith("item-"):
            continue
        item_id = name.removeprefix("item-")
        values = request.form.getlist(name)
        answers[item_id] = values if kinds.get(item_id) == ItemKind.MULTIPLE else values[0]
    return answers


@bp.route("/my/evaluations/<int:form_id>", methods=["GET", "POST"])
@login_required
def answer(form_id: int):
    form = db.session.get(EvaluationForm, form_id) or abort(404)
    if not answering.may_see(current_user, form):
        abort(404)  # only the edition's learners; nobody learns the form exists
    course = db.session.get(Course, form.course_id)
    module = db.session.get(Module, form.module_id) if form.module_id else None
    csrf = AnswerForm()
    now = utcnow()
    posted = {}
    if request.method == "POST" and csrf.validate_on_submit():
        posted = _posted_answers(form)
        outcome = commit_change(
            lambda: answering.submit_evaluation(current_user, form, posted, now), flash_refusal=True
        )
        if outcome.ok:
            flash(_("Thank you! Your answers are saved, anonymously."), "success")
            return redirect(url_for("evaluations.mine"))
    refusal = None
    try:
        answering.check_can_answer(current_user, form, now)
    except ServiceError as error:
        refusal = error.message
    return render_template(
        "evaluations/answer.html", form=form, course=course, module=module, csrf=csrf, refusal=refusal,
        posted=posted,
    )  # fmt: skip
