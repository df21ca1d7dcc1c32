"""Taking quizzes (learners) and grading them (trainers)."""

from __future__ import annotations

import math

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from lms.catalogue.models import Module
from lms.catalogue.services import can_manage_course, find_published_course
from lms.db import utcnow
from lms.deadlines import last_instant
from lms.extensions import db
from lms.i18n import current_locale
from lms.quizzes import services
from lms.quizzes.forms import KIND_LABELS, QuestionForm, QuizSettingsForm
from lms.quizzes.models import Attempt, AttemptStatus, Question, Quiz, QuizPurpose
from lms.spreadsheets import csv_bytes, xlsx_bytes
from lms.transactions import commit_change, writes

bp = Blueprint("quizzes", __name__)

STARTED_TWICE = _l("This quiz was started in another tab at the same moment.")


class ActionForm(FlaskForm):
    """Carries the CSRF token of the quiz's buttons."""


def _quiz_page(slug: str, key: str, purpose: str = QuizPurpose.MODULE) -> Quiz:
    course = find_published_course(slug) or abort(404)
    return services.quiz_for(course, key, purpose) or abort(404)


def overview_url(quiz: Quiz) -> str:
    endpoint = "quizzes.pretest" if quiz.is_pretest else "quizzes.overview"
    return url_for(endpoint, slug=quiz.module.course.slug, key=quiz.module.key)


@bp.get("/courses/<slug>/modules/<key>/quiz")
@writes  # submits an attempt whose time ran out
def overview(slug: str, key: str):
    return _overview(_quiz_page(slug, key))


@bp.get("/courses/<slug>/modules/<key>/pretest")
@writes  # submits an attempt whose time ran out
def pretest(slug: str, key: str):
    return _overview(_quiz_page(slug, key, QuizPurpose.PRETEST))


def _overview(quiz: Quiz):
    now = utcnow()
    attempts = services.attempts_of(quiz, current_user) if current_user.is_authenticated else []
    commit_change(lambda: [services.expire_if_due(attempt, now) for attempt in attempts])
    return render_template(
        "quizzes/overview.html",
        quiz=quiz,
        module=quiz.module,
        course=quiz.module.course,
        state=services.availability(quiz, current_user, now),
        attempts=attempts,
        best=services.best_attempt(quiz, current_user) if current_user.is_authenticated else None,
        form=ActionForm(),
        can_manage=can_manage_course(current_user, quiz.module.course_id),
        now=now,
    )


@bp.post("/quizzes/<int:quiz_id>/attempts")
@login_required
def start(quiz_id: int):
    quiz = db.session.get(Quiz, quiz_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    outcome = commit_change(
        lambda: services.start_attempt(quiz, current_user), refusals={IntegrityError: STARTED_TWICE}
    )
    if isinstance(outcome.refusal, IntegrityError):  # two tabs at once: the other's attempt is the one
        outcome = commit_change(lambda: services.start_attempt(quiz, current_user))
    if not outcome.ok:
        flash(outcome.error, "error")
        return redirect(overview_url(quiz))
    return redirect(url_for("quizzes.take", attempt_id=outcome.value.id))


def _own_attempt(attempt_id: int) -> Attempt:
    """Learners see only their own attempts; anyone else gets a 404."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


def _form_values(attempt: Attempt) -> dict[int, list[str]]:
    return {
        answer.question_id: request.form.getlist(f"q-{answer.question_id}")
        for answer in attempt.answers
        if f"q-{answer.question_id}" in request.form or f"present-{answer.question_id}" in request.form
    }


@bp.get("/attempts/<int:attempt_id>")
@login_required
@writes  # submits the attempt when its time ran out
def take(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if commit_change(lambda: services.expire_if_due(attempt, utcnow())).value:
        flash(_("Time ran out; your attempt was submitted with the answers saved until then."), "info")
    if not attempt.is_open:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    answers = {answer.question_id: answer for answer in attempt.answers}
    ordered = [answers[question_id] for question_id in attempt.layout["questions"] if question_id in answers]
    return render_template(
        "quizzes/take.html", attempt=attempt, answers=ordered, form=ActionForm(), now=utcnow()
    )


@bp.post("/attempts/<int:attempt_id>")
@login_required
def answer(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    submitting = request.form.get("action") == "submit"
    # A submission made by the time limit is kept whatever happens next.
    commit_change(lambda: services.expire_if_due(attempt, utcnow()))
    values = _form_values(attempt)
    # The answers are saved first, on their own: a refused submission keeps them.
    outcome = commit_change(lambda: services.save_answers(attempt, current_user, values))
    if outcome.ok and submitting:
        outcome = commit_change(lambda: services.submit_attempt(attempt, current_user))
    if isinstance(outcome.refusal, services.AttemptClosed):
        flash(outcome.error, "info")
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    if not outcome.ok:
        flash(outcome.error, "error")
        return redirect(url_for("quizzes.take", attempt_id=attempt.id))
    if submitting:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    flash(_("Your answers are saved."), "success")
    return redirect(url_for("quizzes.take", attempt_id=attempt.id))


@bp.post("/attempts/<int:attempt_id>/autosave")
@login_required
def autosave(attempt_id: int):
    """Saving as the learner goes (small script on the quiz page); JSON in and out."""
    attempt = _own_attempt(attempt_id)
    if not ActionForm().validate_on_submit():
        return jsonify(saved=False, message=_("The page has expired. Reload it to continue.")), 400
    commit_change(lambda: services.expire_if_due(attempt, utcnow()))
    values = _form_values(attempt)
    outcome = commit_change(lambda: services.save_answers(attempt, current_user, values))
    if not outcome.ok:
        closed = isinstance(outcome.refusal, services.AttemptClosed)
        return jsonify(saved=False, closed=closed, message=str(outcome.error)), 409
    return jsonify(saved=True, message=_("Saved"))


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
@writes  # submits the attempt when its time ran out
def result(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    now = utcnow()
    commit_change(lambda: services.expire_if_due(attempt, now))
    if attempt.is_open:
        return redirect(url_for("quizzes.take", attempt_id=attempt.id))
    answers = {answer.question_id: answer for answer in attempt.answers}
    ordered = [answers[question_id] for question_id in attempt.layout["questions"] if question_id in answers]
    return render_template(
        "quizzes/result.html",
        attempt=attempt,
        quiz=attempt.quiz,
        answers=ordered,
        reveal=services.reveal_answers(attempt, now),
        feedback=services.reveal_feedback(attempt, now),
        waiting=attempt.status == AttemptStatus.AWAITING_GRADING,
    )


# -- trainers ----------------------------------------------------------------------


def _managed_quiz(quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id) or abort(404)
    if not current_user.is_authenticated:
        abort(401)
    if not can_manage_course(current_user, quiz.module.course_id):
        abort(403)
    return quiz


@bp.get("/teach/quizzes/<int:quiz_id>/grading")
@login_required
def grading_queue(quiz_id: int):
    quiz = _managed_quiz(quiz_id)
    return render_template("quizzes/grading_queue.html", quiz=quiz, attempts=services.grading_queue(quiz))


def _typed_grades(essays) -> list[tuple] | None:
    """(essay, points, feedback) for each essay given points; None if any is not a number."""
    grades = []
    for essay in essays:
        typed = request.form.get(f"points-{essay.id}", "").replace(",", ".").strip()
        if typed == "":
            continue
        try:
            points = float(typed)
        except ValueError:
            return None
        if not math.isfinite(points):
            return None
        grades.append((essay, points, request.form.get(f"feedback-{essay.id}", "")))
    return grades


@bp.route("/teach/attempts/<int:attempt_id>/grade", methods=["GET", "POST"])
@login_required
def grade(attempt_id: int):
    attempt = db.session.get(Attempt, attempt_id) or abort(404)
    _managed_quiz(attempt.quiz_id)
    form = ActionForm()
    essays = [answer for answer in attempt.answers if answer.snapshot["kind"] == "essay"]
    if form.validate_on_submit():
        grades = _typed_grades(essays)
        if grades is None:
            flash(_("Points must be a number, for example 2 or 1.5."), "error")
        elif commit_change(
            lambda: [
                services.grade_essay(essay, current_user, points, feedback)
                for essay, points, feedback in grades
            ],
            flash_refusal=True,
        ).ok:
            flash(_("Grades saved."), "success")
            if attempt.status == AttemptStatus.GRADED:
                return redirect(url_for("quizzes.grading_queue", quiz_id=attempt.quiz_id))
        return redirect(url_for("quizzes.grade", attempt_id=attempt.id))
    return render_template("quizzes/grade.html", attempt=attempt, essays=essays, form=form)


# -- authoring -------------------------------------------------------------------------


def _local(value, zone, closing: bool = False):
    """A time typed in the course's zone; a closing time counts to the end of its minute."""
    if value is None:
        return None
    return (last_instant(value) if closing else value).replace(tzinfo=zone)


@bp.route("/teach/quizzes/<int:quiz_id>", methods=["GET", "POST"])
@login_required
def edit_quiz(quiz_id: int):
    quiz = _managed_quiz(quiz_id)
    zone = quiz.module.course.zone
    form = QuizSettingsForm(
        data=None if request.method == "POST" else {
            "title_vi": quiz.title.get("vi", ""), "title_en": quiz.title.get("en", ""),
            "pass_mark": quiz.pass_mark, "attempts_allowed": quiz.attempts_allowed,
            "time_limit_minutes": quiz.time_limit_minutes,
            "opens_at": quiz.opens_at.astimezone(zone).replace(tzinfo=None) if quiz.opens_at else None,
            "closes_at": quiz.closes_at.astimezone(zone).replace(tzinfo=None) if quiz.closes_at else None,
            "shuffle_questions": quiz.shuffle_questions, "shuffle_options": quiz.shuffle_options,
            "show_after": quiz.show_after, "show_when": quiz.show_when,
        }
    )  # fmt: skip
    if (
        form.validate_on_submit()
        and commit_change(
            lambda: services.update_settings(
                quiz,
                {
                    "title": {"vi": form.title_vi.data.strip(), "en": (form.title_en.data or "").strip()},
                    "pass_mark": form.pass_mark.data,
                    "attempts_allowed": form.attempts_allowed.data,
                    "time_limit_minutes": form.time_limit_minutes.data,
                    "opens_at": _local(form.opens_at.data, zone),
                    "closes_at": _local(form.closes_at.data, zone, closing=True),
                    "shuffle_questions": form.shuffle_questions.data,
                    "shuffle_options": form.shuffle_options.data,
                    "show_after": form.show_after.data,
                    "show_when": form.show_when.data,
                },
                current_user,
            ),
            flash_refusal=True,
        ).ok
    ):
        flash(_("Quiz settings saved."), "success")
        return redirect(url_for("quizzes.edit_quiz", quiz_id=quiz.id))
    return render_template(
        "quizzes/edit_quiz.html", quiz=quiz, form=form, kinds=KIND_LABELS, action_form=ActionForm(), zone=zone
    )


@bp.post("/teach/modules/<int:module_id>/pretest")
@login_required
def create_pretest(module_id: int):
    module = db.session.get(Module, module_id) or abort(404)
    if not can_manage_course(current_user, module.course_id):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    outcome = commit_change(
        lambda: services.create_pretest(module, current_user),
        refusals={IntegrityError: _l("This module already has a pre-test.")},
    )
    if not outcome.ok:
        flash(outcome.error, "error")
        return redirect(url_for("organise.edition", slug=module.course.slug, _anchor=f"module-{module.key}"))
    flash(_("Pre-test added with copies of the quiz's questions; edit it here."), "success")
    return redirect(url_for("quizzes.edit_quiz", quiz_id=outcome.value.id))


@bp.route("/teach/quizzes/<int:quiz_id>/questions/new/<kind>", methods=["GET", "POST"])
@login_required
def new_question(quiz_id: int, kind: str):
    quiz = _managed_quiz(quiz_id)
    if kind not in KIND_LABELS:
        abort(404)
    return _question_page(quiz, None, kind)


@bp.route("/teach/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit_question(question_id: int):
    question = db.session.get(Question, question_id) or abort(404)
    quiz = _managed_quiz(question.quiz_id)
    return _question_page(quiz, question, question.kind)


def _question_page(quiz: Quiz, question: Question | None, kind: str):
    form = QuestionForm(kind)
    if request.method == "GET" and question is not None:
        form.load(question)
    if form.validate_on_submit():
        values = form.question_values()
        saved, affected = commit_change(
            lambda: services.save_question(quiz, question, values, current_user)
        ).value
        if affected:
            flash(
                _("The answer key changed and %(count)s submitted answers used the old one.", count=affected),
                "info",
            )
            return redirect(url_for("quizzes.regrade", quiz_id=quiz.id))
        flash(_("Question saved."), "success")
        return redirect(url_for("quizzes.edit_quiz", quiz_id=quiz.id) + f"#question-{saved.id}")
    return render_template(
        "quizzes/edit_question.html", quiz=quiz, question=question, form=form, kind=kind, kinds=KIND_LABELS
    )


@bp.post("/teach/questions/<int:question_id>/archive")
@login_required
def archive_question(question_id: int):
    question = db.session.get(Question, question_id) or abort(404)
    quiz = _managed_quiz(question.quiz_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    commit_change(lambda: services.archive_question(question, current_user))
    flash(_("The question is removed from new attempts; earlier attempts keep it."), "success")
    return redirect(url_for("quizzes.edit_quiz", quiz_id=quiz.id))


@bp.route("/teach/quizzes/<int:quiz_id>/regrade", methods=["GET", "POST"])
@login_required
def regrade(quiz_id: int):
    quiz = _managed_quiz(quiz_id)
    form = ActionForm()
    if form.validate_on_submit():
        changed = commit_change(lambda: services.regrade(quiz, current_user)).value
        flash(
            _("Regraded with the current answer keys: %(count)s attempts changed score.", count=changed),
            "success",
        )
        return redirect(url_for("quizzes.results", quiz_id=quiz.id))
    return render_template("quizzes/regrade.html", quiz=quiz, form=form)


@bp.get("/teach/quizzes/<int:quiz_id>/results")
@login_required
def results(quiz_id: int):
    quiz = _managed_quiz(quiz_id)
    learners = services.learner_results(quiz)
    export = request.args.get("format")
    if export in ("csv", "xlsx"):
        return _export_results(quiz, learners, export)
    return render_template(
        "quizzes/results.html",
        quiz=quiz,
        learners=learners,
        stats=services.question_stats(quiz, current_locale()),
    )


def _export_results(quiz: Quiz, learners, export: str):
    zone = quiz.module.course.zone
    header = [
        _("Full name"),
        _("Email"),
        _("Organisation"),
        _("Attempts"),
        _("Best score (%)"),
        _("Passed"),
        _("Submitted"),
    ]
    rows = [
        [
            result.user.full_name,
            result.user.email,
            result.user.organisation,
            result.attempts,
            result.best.percent if result.best else None,
            (_("yes") if result.best.passed else _("no")) if result.best else _("waiting for grading"),
            result.best.submitted_at.astimezone(zone).replace(tzinfo=None) if result.best else None,
        ]
        for result in learners
    ]
    name = f"{quiz.module.course.slug}-module-{quiz.module.position}-results"
    if export == "csv":
        return Response(csv_bytes(header, rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})  # fmt: skip
    return Response(
        xlsx_bytes(header, rows, title=_("Results")),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )
