"""Attempts: who may start, autosave, submit once, time limits, attempts limit, regrade, grading."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.db import utcnow
from lms.errors import ServiceError
from lms.mail.models import OutboxMessage
from lms.quizzes import services
from lms.quizzes.models import AttemptStatus, Question
from tests.factories import UserFactory, hold
from tests.quizzes.conftest import ALL_RIGHT, ESSAY, form_values


def test_a_full_marks_attempt_passes(db, setting):
    _, _, quiz, learner = setting
    attempt = services.start_attempt(quiz, learner)
    services.save_answers(attempt, learner, form_values(attempt, ALL_RIGHT))
    services.submit_attempt(attempt, learner)
    db.session.commit()
    assert attempt.status == AttemptStatus.GRADED
    assert (attempt.score, attempt.max_score, attempt.percent, attempt.passed) == (5.0, 5.0, 100.0, True)
    assert services.best_attempt(quiz, learner).passed


def test_partial_credit_and_the_pass_mark(db, setting):
    _, _, quiz, learner = setting
    attempt = services.start_attempt(quiz, learner)
    # Right, half of the multiple (1 of 2 points), wrong, right: 3 of 5 = 60% < 70%.
    services.save_answers(
        attempt,
        learner,
        form_values(attempt, {0: ["a"], 1: ["a"], 2: ["false"], 3: ["industrial symbiosis"]}),
    )
    services.submit_attempt(attempt, learner)
    assert (attempt.score, attempt.percent, attempt.passed) == (3.0, 60.0, False)


def test_only_registered_learners_with_a_started_run_may_start(db, setting):
    _, _, quiz, _ = setting
    with pytest.raises(ServiceError, match=r"registered|đăng ký"):
        services.start_attempt(quiz, UserFactory())


def test_the_quiz_opens_when_the_learners_run_starts(db, setting):
    _, _, quiz, learner = setting
    run_start = services.opens_at_for(quiz, learner)
    assert services.availability(quiz, learner, run_start - timedelta(minutes=1)).state == "not_open_yet"
    assert services.availability(quiz, learner, run_start).state == "open"
    quiz.closes_at = run_start + timedelta(days=1)
    assert services.availability(quiz, learner, run_start + timedelta(days=2)).state == "closed"


def test_starting_again_resumes_the_open_attempt_and_answers_survive(db, setting):
    _, _, quiz, learner = setting
    attempt = services.start_attempt(quiz, learner)
    services.save_answers(attempt, learner, form_values(attempt, {0: ["b"], 3: ["cộng sinh"]}))
    db.session.commit()
    again = services.start_attempt(quiz, learner)
    assert again.id == attempt.id
    responses = {answer.question_id: answer.response for answer in again.answers}
    assert sorted(responses.values(), key=str) == sorted(["b", "cộng sinh", None, None], key=str)


def test_unknown_options_are_not_stored(db, setting):
    _, _, quiz, learner = setting
    attempt = services.start_attempt(quiz, learner)
    services.save_answers(attempt, learner, form_values(attempt, {0: ["zzz"], 1: ["a", "x"], 2: ["maybe"]}))
    responses = [answer.response for answer in sorted(attempt.answers, key=lambda a: a.question_id)]
    assert responses[:3] == [None, ["a"], None]


def test_submitting_twice_gives_a_clear_message_and_one_result(db, setting):
    _, _, quiz, learner = setting
    attempt = services.start_attempt(quiz, learner)
    services.submit_attempt(attempt, learner)
    score = attempt.score
    with pytest.raises(services.AttemptClosed):
        services.submit_attempt(attempt, learner)
    with pytest.raises(services.AttemptClosed):
        services.save_answers(attempt, learner, form_values(attempt, ALL_RIGHT))
    assert attempt.score == score


def test_time_limit_submits_what_was_saved_and_refuses_later_answers(db, setting):
    _, _, quiz, learner = setting
    quiz.time_limit_minutes = 10
    start = utcnow()
    attempt = services.start_attempt(quiz, learner, now=start)
    assert attempt.deadline_at == start + timedelta(minutes=10)
    services.save_answers(
        attempt, learner, form_values(attempt, {0: ["a"]}), now=start + timedelta(minutes=5)
    )
    with pytest.raises(services.AttemptClosed):
        services.save_answers(
            attempt, learner, form_values(attempt, ALL_RIGHT), now=start + timedelta(minutes=11)
        )
    assert attempt.status == AttemptStatus.GRADED
    assert attempt.submitted_by == "time_limit"
    assert attempt.submitted_at == attempt.deadline_at
    assert attempt.score == 1.0  # only the answer saved in time counts


def test_attempts_are_limited_and_the_highest_counts(db, setting):
    _, _, quiz, learner = setting
    quiz.attempts_allowed = 2
    first = services.start_attempt(quiz, learner)
    services.save_answers(first, learner, form_values(first, ALL_RIGHT))
    services.submit_attempt(first, learner)
    second = services.start_attempt(quiz, learner)
    services.submit_attempt(second, learner)  # blank: 0%
    with pytest.raises(ServiceError):
        services.start_attempt(quiz, learner)
    assert services.best_attempt(quiz, learner).id == first.id
    assert services.best_attempt(quiz, learner).passed


def test_shuffling_changes_order_but_not_scoring(db, setting):
    _, _, quiz, learner = setting
    quiz.shuffle_questions = quiz.shuffle_options = True
    attempt = services.start_attempt(quiz, learner, rng=random.Random(4))
    assert sorted(attempt.layout["questions"]) == sorted(question.id for question in quiz.questions)
    services.save_answers(attempt, learner, form_values(attempt, ALL_RIGHT))
    services.submit_attempt(attempt, learner)
    assert attempt.percent == 100.0


def test_editing_a_question_keeps_old_attempts_and_regrade_uses_the_new_key(db, setting):
    _, _, quiz, learner = setting
    attempt = services.start_attempt(quiz, learner)
    services.save_answers(
        attempt,
        learner,
        form_values(attempt, {0: ["b"], 1: ["a", "b"], 2: ["true"], 3: ["industrial symbiosis"]}),
    )
    services.submit_attempt(attempt, learner)
    assert attempt.score == 4.0
    first = quiz.questions[0]
    first.text = {"vi": "Câu hỏi đã sửa", "en": "Edited question"}
    first.options = [{**option, "correct": option["key"] == "b"} for option in first.options]
    db.session.flush()
    assert attempt.answers[0].snapshot["text"]["en"] == "Which decree institutionalised EIPs?"  # unchanged
    organiser = UserFactory(roles=["organiser"])
    assert services.regrade(quiz, organiser) == 1
    assert attempt.score == 5.0 and attempt.passed
    assert attempt.answers[0].snapshot["text"]["en"] == "Which decree institutionalised EIPs?"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quiz.regraded"))
    assert event.actor_id == organiser.id and event.details["changed"] == 1


def test_essays_wait_in_the_grading_queue_oldest_first_and_the_learner_is_told(db, setting):
    _, module, quiz, learner = setting
    add_essay(db, quiz)
    other = UserFactory(email="second@example.org")
    hold(other, module.runs[0])
    attempts = []
    for person in (learner, other):
        attempt = services.start_attempt(quiz, person)
        essay = next(answer for answer in attempt.answers if answer.snapshot["kind"] == "essay")
        services.save_answers(
            attempt, person, {essay.question_id: ["Chúng tôi sẽ đo lường năng lượng và nước."]}
        )
        services.submit_attempt(attempt, person)
        attempts.append(attempt)
    assert [a.status for a in attempts] == [AttemptStatus.AWAITING_GRADING] * 2
    assert [a.id for a in services.grading_queue(quiz)] == [a.id for a in attempts]

    trainer = module.runs[0].trainers[0]
    essay = next(answer for answer in attempts[0].answers if answer.snapshot["kind"] == "essay")
    with pytest.raises(ServiceError):
        services.grade_essay(essay, trainer, 4, "")  # more than the question is worth
    with pytest.raises(ServiceError):
        services.grade_essay(essay, UserFactory(roles=["trainer"]), 2, "")  # a trainer of another course
    services.grade_essay(essay, trainer, 2.5, "Tốt, nhưng thiếu chỉ số xã hội.")
    db.session.commit()
    assert attempts[0].status == AttemptStatus.GRADED
    assert attempts[0].score == 2.5 and attempts[0].max_score == 8.0
    assert [a.id for a in services.grading_queue(quiz)] == [attempts[1].id]
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "quiz_graded"))
    assert mail.recipient == learner.email


def add_essay(db, quiz):
    quiz.questions.append(Question(position=len(quiz.questions) + 1, **ESSAY))
    db.session.flush()


def test_essay_word_limits_are_enforced_at_submission_and_nothing_is_lost(db, setting):
    _, _, quiz, learner = setting
    add_essay(db, quiz)
    attempt = services.start_attempt(quiz, learner)
    essay = next(answer for answer in attempt.answers if answer.snapshot["kind"] == "essay")
    services.save_answers(attempt, learner, {essay.question_id: ["Quá ngắn"]})
    with pytest.raises(ServiceError, match="3"):
        services.submit_attempt(attempt, learner)
    assert attempt.is_open
    assert essay.response == "Quá ngắn"


def test_an_attempt_open_when_the_quiz_closes_is_submitted_with_what_was_saved(db, setting):
    _, _, quiz, learner = setting
    start = utcnow()
    quiz.closes_at = start + timedelta(hours=1)
    attempt = services.start_attempt(quiz, learner, now=start)
    services.save_answers(
        attempt, learner, form_values(attempt, {0: ["a"]}), now=start + timedelta(minutes=30)
    )
    with pytest.raises(services.AttemptClosed):
        services.submit_attempt(attempt, learner, now=start + timedelta(hours=2))
    assert attempt.submitted_at == quiz.closes_at
    assert attempt.submitted_by == "quiz_closed"
    assert attempt.score == 1.0
