"""The whole edition at once (lms.completion.edition) says what the progress page says
(lms.completion.progress) for every learner, in a fixed number of queries."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from lms.attendance.models import AttendanceStatus
from lms.completion import edition
from lms.evaluations.models import EvaluationInvitation, EvaluationSettings
from lms.quizzes.models import AttemptStatus, QuizPurpose
from tests.factories import (
    AttendanceFactory,
    CompletionExceptionFactory,
    GradedAttemptFactory,
    QuizFactory,
    UserFactory,
    course_with_modules,
    evaluation_forms,
    hold,
)
from tests.helpers import count_queries

STATUSES = [
    None,
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.ABSENT,
    AttendanceStatus.EXCUSED,
]
ATTEMPTS = [None, "pass", "fail", AttemptStatus.AWAITING_GRADING, AttemptStatus.IN_PROGRESS, "pass then fail"]
SOME_TIME = datetime(2024, 5, 1, tzinfo=UTC)


def build(db, learners: int, evaluation_required: bool, seed: int = 3):
    """Three modules of two runs: the first with a quiz and a pre-test, the second with a
    quiz, the third without; each learner a random mix of marks in both runs, attempts,
    pre-test attempts, open or revoked exceptions and evaluations answered."""
    rng = random.Random(seed)
    course = course_with_modules(3, 2)
    for run in course.runs:
        run.capacity = learners
    first, second, _third = course.modules
    quizzes = {first.id: QuizFactory(module=first, pass_mark=70), second.id: QuizFactory(module=second)}
    pretest = QuizFactory(module=first, purpose=QuizPurpose.PRETEST)
    organiser = UserFactory(roles=["organiser"])
    forms = {form.module_id: form for form in evaluation_forms(course) if form.module_id}
    db.session.add(EvaluationSettings(course_id=course.id, required_for_certificate=evaluation_required))
    people = []
    for _ in range(learners):
        learner = UserFactory()
        people.append(learner)
        for module in course.modules:
            hold(learner, module.runs[0])
            for run in module.runs:
                status = rng.choice(STATUSES)
                if status is not None:
                    AttendanceFactory(run=run, user=learner, status=status)
            if module.id in quizzes:
                take(quizzes[module.id], learner, rng.choice(ATTEMPTS))
            if module.id == first.id and rng.random() < 0.3:
                take(pretest, learner, "pass")  # never counts
            if rng.random() < 0.15:
                revoked = SOME_TIME if rng.random() < 0.5 else None
                CompletionExceptionFactory(user_id=learner.id, course_id=course.id, module=module,
                                           recorded_by=organiser, revoked_at=revoked,
                                           revoked_by=organiser if revoked else None)  # fmt: skip
            if rng.random() < 0.7:
                db.session.add(
                    EvaluationInvitation(form_id=forms[module.id].id, user_id=learner.id, answered=True)
                )
    db.session.commit()
    return course, people


def take(quiz, learner, how: str | None) -> None:
    if how is None:
        return
    if how in ("pass", "fail", "pass then fail"):
        GradedAttemptFactory(quiz=quiz, user=learner, percent=100.0 if how != "fail" else 20.0)
        if how == "pass then fail":
            GradedAttemptFactory(quiz=quiz, user=learner, number=2, percent=10.0)
        return
    submitted = SOME_TIME if how == AttemptStatus.AWAITING_GRADING else None
    GradedAttemptFactory(quiz=quiz, user=learner, status=how, submitted_at=submitted, graded_at=None,
                         percent=None, score=None, passed=None)  # fmt: skip


@pytest.mark.parametrize("evaluation_required", [False, True])
def test_every_learner_has_the_progress_page_s_modules(db, evaluation_required):
    from lms.completion.progress import progress as progress_of

    course, people = build(db, 30, evaluation_required)
    table = edition.edition_progress(course, [learner.id for learner in people])
    some = [learner.id for learner in people[::4]]
    for_some = edition.edition_progress(course, some, edition.load_evidence(course, some))
    marks, outcomes = edition.best_marks(course), edition.quiz_outcomes(course)
    from_details = edition.edition_progress(
        course,
        [learner.id for learner in people],
        edition.load_evidence(course, marks=marks, outcomes=outcomes),
    )
    kinds = set()
    for learner in people:
        page = progress_of(learner, course)
        expected = edition.LearnerProgress(
            attended={module.module.id for module in page.modules if module.attended},
            passed={module.module.id for module in page.modules if module.quiz_passed},
            done={module.module.id for module in page.modules if module.done},
        )
        assert table[learner.id] == expected, learner.id
        assert from_details[learner.id] == expected, learner.id
        if learner.id in some:
            assert for_some[learner.id] == expected, learner.id
        assert table[learner.id].complete([module.id for module in course.modules]) == page.complete
        kinds |= {(bool(module.attended), module.quiz_passed, module.done) for module in page.modules}
    assert set(for_some) == set(some)
    # The data set reaches every outcome (an exception makes a module done without the rest).
    assert {(True, True, True), (True, False, False), (False, False, True), (False, False, False)} <= kinds


def test_the_best_status_is_the_best_mark_s(db):
    course, people = build(db, 20, False)
    statuses = edition.best_statuses(course)
    assert statuses == {key: mark.status for key, mark in edition.best_marks(course).items()}
    assert statuses  # the data set has marks
    some = [learner.id for learner in people[:5]]
    assert edition.best_statuses(course, some) == {key: s for key, s in statuses.items() if key[0] in some}


def test_the_queries_do_not_grow_with_the_learners(app, db):
    def queries(learners: int, seed: int) -> int:
        course, people = build(db, learners, True, seed)
        ids = [learner.id for learner in people]
        db.session.expire_all()
        with count_queries(app) as counter:
            edition.edition_progress(course, ids, edition.load_evidence(course))
        return counter.count

    assert queries(3, 1) == queries(30, 2)
