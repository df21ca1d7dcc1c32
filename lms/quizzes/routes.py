"""Taking quizzes (learners) and grading them (trainers)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from lms.db import utcnow
from lms.errors import ServiceError
from lms.extensions import db
from lms.modules.services import find_published_course
from lms.quizzes import services
from lms.quizzes.models import Attempt, AttemptStatus, Quiz

bp = Blueprint("quizzes", __name__)


class ActionForm(FlaskForm):
    """Carries the CSRF token of the quiz's buttons."""


def _quiz_page(slug: str, key: str) -> Quiz:
    course = find_published_course(slug) or abort(404)
    return services.quiz_for(course, key) or abort(404)


@bp.get("/courses/<slug>/modules/<key>/quiz")
def overview(slug: str, key: str):
    quiz = _quiz_page(slug, key)
    now = utcnow()
    attempts = services.attempts_of(quiz, current_user) if current_user.is_authenticated else []
    for attempt in attempts:
        if services.expire_if_due(attempt, now):
            db.session.commit()
    return render_template(
        "quizzes/overview.html",
        quiz=quiz,
        module=quiz.module,
        course=quiz.module.course,
        state=services.availability(quiz, current_user, now),
        attempts=attempts,
        best=services.best_attempt(quiz, current_user) if current_user.is_authenticated else None,
        form=ActionForm(),
        can_manage=services.can_manage(current_user, quiz.module.course_id),
        now=now,
    )


@bp.post("/quizzes/<int:quiz_id>/attempts")
@login_required
def start(quiz_id: int):
    quiz = db.session.get(Quiz, quiz_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        attempt = services.start_attempt(quiz, current_user)
        db.session.commit()
    except ServiceError as failure:
        db.session.rollback()
        flash(failure.message, "error")
        return redirect(url_for("quizzes.overview", slug=quiz.module.course.slug, key=quiz.module.key))
    except IntegrityError:  # two tabs started at once: the other one's attempt is the one
        db.session.rollback()
        attempt = services.start_attempt(quiz, current_user)
        db.session.commit()
    return redirect(url_for("quizzes.take", attempt_id=attempt.id))


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
def take(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if services.expire_if_due(attempt, utcnow()):
        db.session.commit()
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
    try:
        services.save_answers(attempt, current_user, _form_values(attempt))
        db.session.commit()
        if submitting:
            services.submit_attempt(attempt, current_user)
            db.session.commit()
    except services.AttemptClosed as closed:
        db.session.commit()  # keep a submission made by the time limit
        flash(closed.message, "info")
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    except ServiceError as failure:
        db.session.rollback()
        flash(failure.message, "error")
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
    try:
        services.save_answers(attempt, current_user, _form_values(attempt))
        db.session.commit()
    except services.AttemptClosed as closed:
        db.session.commit()
        return jsonify(saved=False, closed=True, message=str(closed.message)), 409
    return jsonify(saved=True, message=_("Saved"))


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    now = utcnow()
    if services.expire_if_due(attempt, now):
        db.session.commit()
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
    if not services.can_manage(current_user, quiz.module.course_id):
        abort(403)
    return quiz


@bp.get("/teach/quizzes/<int:quiz_id>/grading")
@login_required
def grading_queue(quiz_id: int):
    quiz = _managed_quiz(quiz_id)
    return render_template("quizzes/grading_queue.html", quiz=quiz, attempts=services.grading_queue(quiz))


@bp.route("/teach/attempts/<int:attempt_id>/grade", methods=["GET", "POST"])
@login_required
def grade(attempt_id: int):
    attempt = db.session.get(Attempt, attempt_id) or abort(404)
    _managed_quiz(attempt.quiz_id)
    form = ActionForm()
    essays = [answer for answer in attempt.answers if answer.snapshot["kind"] == "essay"]
    if form.validate_on_submit():
        try:
            for essay in essays:
                points = request.form.get(f"points-{essay.id}", "").replace(",", ".").strip()
                if points == "":
                    continue
                services.grade_essay(
                    essay, current_user, float(points), request.form.get(f"feedback-{essay.id}", "")
                )
            db.session.commit()
        except ValueError:
            db.session.rollback()
            flash(_("Points must be a number, for example 2 or 1.5."), "error")
        except ServiceError as failure:
            db.session.rollback()
            flash(failure.message, "error")
        else:
            flash(_("Grades saved."), "success")
            if attempt.status == AttemptStatus.GRADED:
                return redirect(url_for("quizzes.grading_queue", quiz_id=attempt.quiz_id))
        return redirect(url_for("quizzes.grade", attempt_id=attempt.id))
    return render_template("quizzes/grade.html", attempt=attempt, essays=essays, form=form)
