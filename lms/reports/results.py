"""The Results page of an edition (its evaluations: response rates, charts and tables,
free texts, breakdowns, the follow-up) and its printable one-page summary.

Organisers see every form; a trainer sees the forms of the modules whose runs they
teach, unless the organisers turned that off for the edition. Organisers may hide an
abusive free text (recorded in the audit log)."""

from __future__ import annotations

from contextlib import nullcontext

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from lms.accounts.models import Role
from lms.catalogue.models import Course, Module, Run, run_trainer
from lms.db import utcnow
from lms.evaluations import moderation
from lms.evaluations.forms_setup import settings_of
from lms.extensions import db
from lms.i18n import supported_locales
from lms.reports import data, evaluation_report, learning_gain
from lms.transactions import commit_change

bp = Blueprint("results", __name__)


class HideForm(FlaskForm):
    """Carries the CSRF token of the hide and show buttons."""


def taught_modules(user, course: Course) -> set[int]:
    return set(
        db.session.scalars(
            select(Run.module_id)
            .join(run_trainer, run_trainer.c.run_id == Run.id)
            .join(Module, Module.id == Run.module_id)
            .where(run_trainer.c.user_id == user.id, Module.course_id == course.id)
        )
    )


def visible_modules(course: Course) -> set[int] | None:
    """None: every form (an organiser); else the modules a trainer may see; 403 for others."""
    if current_user.has_role(Role.ORGANISER):
        return None
    if current_user.has_role(Role.TRAINER) and settings_of(course.id).trainers_see_results:
        modules = taught_modules(current_user, course)
        if modules:
            return modules
    abort(403)


@bp.get("/organise/courses/<slug>/results")
@login_required
def results(slug: str):
    course = data.find_course(slug) or abort(404)
    module_ids = visible_modules(course)
    return render_template(
        "reports/results.html",
        course=course,
        reports=evaluation_report.build(course, module_ids),
        organiser=module_ids is None,
        form=HideForm(),
        now=utcnow(),
        learning_gain=learning_gain.build(
            course, None if module_ids is None else [m.key for m in course.modules if m.id in module_ids]
        ),
    )


@bp.get("/organise/courses/<slug>/results/summary")
@login_required
def summary(slug: str):
    """One printable page in the language asked for (``?in=vi|en``), whatever the reader's."""
    course = data.find_course(slug) or abort(404)
    module_ids = visible_modules(course)
    language = request.args.get("in", "")
    if language not in supported_locales():
        language = None
    with force_locale(language) if language else nullcontext():
        return render_template(
            "reports/results_summary.html", course=course, reports=evaluation_report.build(course, module_ids),
            now=utcnow(),
        )  # fmt: skip


@bp.post("/organise/courses/<slug>/results/answers/<answer_id>")
@login_required
def hide_answer(slug: str, answer_id: str):
    if not current_user.has_role(Role.ORGANISER):
        abort(403)
    course = data.find_course(slug) or abort(404)
    answer = moderation.find_answer(course.id, answer_id[:32]) or abort(404)
    if HideForm().validate_on_submit() and request.form.get("hidden") in ("0", "1"):
        hidden = request.form.get("hidden") == "1"
        outcome = commit_change(
            lambda: moderation.set_hidden(answer, current_user, hidden), flash_refusal=True
        )
        if outcome.ok:
            flash(
                _("The answer is hidden from the results.") if hidden else _("The answer is shown again."),
                "success",
            )
    return redirect(url_for("results.results", slug=slug) + "#texts-" + str(answer.item_id))
