"""Quiz rules: who may take a quiz and when, attempts, autosave, time limits,
submission, essay grading and regrades. Functions flush; the caller commits."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.models import Course, Module, Run
from lms.catalogue.services import can_manage_course
from lms.db import utcnow
from lms.enrollment.models import (
    Registration,
    RegistrationStatus,
    RunChoice,
    where_holding_seat,
)
from lms.enrollment.services import is_registered
from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import tr_text
from lms.quizzes import notify
from lms.quizzes.models import (
    Answer,
    Attempt,
    AttemptStatus,
    Question,
    QuestionKind,
    Quiz,
    QuizPurpose,
    ShowAfter,
    ShowWhen,
)
from lms.quizzes.scoring import score_answer, totals, word_count
from lms.signals import progress_changed

# The audit log's actions recorded here (lms.audit.actions).
ESSAY_GRADED = declare_action(
    "quiz.essay_graded",
    _l("Graded an essay"),
    points=Detail(_l("Points"), Shown.NUMBER),
)
QUIZ_REGRADED = declare_action(
    "quiz.regraded",
    _l("Regraded a quiz"),
    attempts=Detail(_l("Attempts"), Shown.NUMBER),
    changed=Detail(_l("Scores changed"), Shown.NUMBER),
)
SETTINGS_CHANGED = declare_action(
    "quiz.settings_changed",
    _l("Changed quiz settings"),
)
QUESTION_ADDED = declare_action(
    "question.added",
    _l("Added a quiz question"),
    key_change_affects=Detail(_l("Answers graded with the old key"), Shown.NUMBER),
)
QUESTION_EDITED = declare_action(
    "question.edited",
    _l("Edited a quiz question"),
    key_change_affects=Detail(_l("Answers graded with the old key"), Shown.NUMBER),
)
PRETEST_CREATED = declare_action(
    "quiz.pretest_created",
    _l("Added a pre-test"),
    questions=Detail(_l("Questions"), Shown.NUMBER),
)
QUESTION_ARCHIVED = declare_action(
    "question.archived",
    _l("Removed a quiz question"),
)


class AttemptClosed(ServiceError):
    """The attempt is no longer open (submitted, or its time ran out)."""


# -- who and when ------------------------------------------------------------------


def opens_at_for(quiz: Quiz, user: User) -> datetime | None:
    """When the quiz opens for this learner: its own date, else when their run starts
    (a pre-test: its own date, else when they registered)."""
    if quiz.opens_at is not None:
        return quiz.opens_at
    if quiz.is_pretest:
        return db.session.scalar(
            select(Registration.created_at).where(
                Registration.user_id == user.id,
                Registration.course_id == quiz.module.course_id,
                Registration.status == RegistrationStatus.ACTIVE,
            )
        )
    return own_run_start(quiz, user)


def own_run_start(quiz: Quiz, user: User) -> datetime | None:
    """When the run the learner holds a seat in, in the quiz's module, starts (None
    without a seat)."""
    return db.session.scalar(_own_run_start(user.id, quiz.module_id))


def _own_run_start(user_id, module_id):
    """The statement of :func:`own_run_start`, for ids or for columns of an enclosing
    query; what holding a seat means is enrollment's (where_holding_seat)."""
    return where_holding_seat(select(Run.starts_at).join(RunChoice, RunChoice.run_id == Run.id)).where(
        RunChoice.user_id == user_id, RunChoice.module_id == module_id
    )


def pretest_closes_at(quiz: Quiz, user: User) -> datetime | None:
    """A pre-test closes when the learner's run of the module starts; without a seat,
    when the module's first run starts (what they knew before is then unknowable).
    The quiz's own closing date, if earlier, wins."""
    first_run = own_run_start(quiz, user) or db.session.scalar(
        select(func.min(Run.starts_at)).where(Run.module_id == quiz.module_id, Run.cancelled_at.is_(None))
    )
    first_run = _aware(first_run)
    limits = [moment for moment in (first_run, quiz.closes_at) if moment is not None]
    return min(limits, default=None)


def closes_at_for(quiz: Quiz, user: User) -> datetime | None:
    return pretest_closes_at(quiz, user) if quiz.is_pretest else quiz.closes_at


def _aware(value: datetime | None) -> datetime | None:
    # An aggregate loses the column type: SQLite then hands back naive UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class OpenPretest:
    """A pre-test the learner may take now, as My schedule lists it."""

    title: dict
    course_slug: str
    module_key: str
    zone: ZoneInfo
    closes_at: datetime | None


@lru_cache(maxsize=1)
def _open_pretests_statement():
    """The learner's pre-tests with what decides whether they are open: attempts used,
    the start of the run they hold a seat in and of the module's first run (the rule of
    :func:`pretest_closes_at`), in one query; built once per process."""
    user_id, now = bindparam("user_id"), bindparam("now", type_=Registration.created_at.type)
    used = (
        select(func.count(Attempt.id))
        .where(Attempt.user_id == user_id, Attempt.quiz_id == Quiz.id)
        .scalar_subquery()
    )
    own_run = (
        _own_run_start(user_id, Quiz.module_id)
        .limit(1)
        .correlate_except(Run, RunChoice, Registration)  # its own seat check, not the outer row
        .scalar_subquery()
    )
    first_run = (
        select(func.min(Run.starts_at))
        .where(Run.module_id == Quiz.module_id, Run.cancelled_at.is_(None))
        .scalar_subquery()
    )
    return (
        select(Quiz.title, Quiz.opens_at, Quiz.closes_at, Quiz.attempts_allowed)
        .add_columns(Course.slug, Module.key, Course.timezone, used, own_run, first_run)
        .join(Module, Module.id == Quiz.module_id)
        .join(Course, Course.id == Module.course_id)
        .join(Registration, Registration.course_id == Module.course_id)
        .where(
            Quiz.purpose == QuizPurpose.PRETEST,
            Registration.user_id == user_id,
            Registration.status == RegistrationStatus.ACTIVE,
            Registration.created_at <= now,
        )
        .order_by(Module.course_id, Module.position)
    )


def open_pretests(user: User, now: datetime) -> list[OpenPretest]:
    """The pre-tests the learner may still take now, across their editions (My schedule),
    in one query."""
    rows = db.session.connection().execute(_open_pretests_statement(), {"user_id": user.id, "now": now})
    found = []
    for title, opens_at, quiz_closes, allowed, slug, key, timezone, used, own_run, first_run in rows:
        run_start = _aware(own_run) or _aware(first_run)
        closes = min((m for m in (run_start, quiz_closes) if m is not None), default=None)
        opened = opens_at is None or opens_at <= now
        attempts_left = allowed == 0 or used < allowed
        if opened and attempts_left and (closes is None or now <= closes):
            found.append(OpenPretest(title, slug, key, ZoneInfo(timezone), closes))
    return found


@dataclass(frozen=True)
class Availability:
    state: str  # not_registered | no_seat | not_open_yet | open | closed | no_attempts_left
    opens_at: datetime | None
    attempts_used: int
    attempts_left: int | None  # None = no limit
    closes_at: datetime | None = None  # for this learner (a pre-test closes when their run starts)

    @property
    def can_start(self) -> bool:
        return self.state == "open"


def availability(quiz: Quiz, user: User, now: datetime) -> Availability:
    used = attempts_used(quiz, user)
    left = None if quiz.attempts_allowed == 0 else max(quiz.attempts_allowed - used, 0)
    signed_in = user.is_authenticated
    opens = opens_at_for(quiz, user) if signed_in else None
    closes = closes_at_for(quiz, user) if signed_in else quiz.closes_at
    if not signed_in or not is_registered(user, quiz.module.course_id):
        state = "not_registered"
    elif opens is None:
        state = "no_seat"
    elif now < opens:
        state = "not_open_yet"
    elif closes is not None and now > closes:
        state = "closed"
    elif left == 0:
        state = "no_attempts_left"
    else:
        state = "open"
    return Availability(state, opens, used, left, closes)


def attempts_used(quiz: Quiz, user: User) -> int:
    if not user.is_authenticated:
        return 0
    return db.session.scalar(
        select(func.count(Attempt.id)).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)
    )


def attempts_of(quiz: Quiz, user: User) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)
            .order_by(Attempt.number)
        )
    )


# -- taking ------------------------------------------------------------------------


def start_attempt(
    quiz: Quiz, user: User, now: datetime | None = None, rng: random.Random | None = None
) -> Attempt:
    """Resume the open attempt, or start a new one if the rules allow."""
    now = now or utcnow()
    rng = rng or random.SystemRandom()
    for attempt in attempts_of(quiz, user):
        expire_if_due(attempt, now)
        if attempt.is_open:
            return attempt
    state = availability(quiz, user, now)
    if not state.can_start:
        raise ServiceError(_refusal(state, quiz))
    questions = list(quiz.active_questions)
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    layout = {"questions": [question.id for question in questions], "options": {}}
    for question in questions:
        keys = [option["key"] for option in question.options]
        if quiz.shuffle_options and question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            rng.shuffle(keys)
        layout["options"][str(question.id)] = keys
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + timedelta(minutes=quiz.time_limit_minutes)
        if quiz.closes_at is not None:
            deadline = min(deadline, quiz.closes_at)
    if quiz.is_pretest and state.closes_at is not None:
        # Answers given once the learner's run has begun no longer measure prior knowledge.
        deadline = min(deadline or state.closes_at, state.closes_at)
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        number=state.attempts_used + 1,
        started_at=now,
        deadline_at=deadline,
        max_score=quiz.max_score,
        layout=layout,
    )
    attempt.answers = [
        Answer(question_id=question.id, snapshot=question.snapshot()) for question in questions
    ]
    db.session.add(attempt)
    db.session.flush()
    return attempt


def _refusal(state: Availability, quiz: Quiz):
    if quiz.is_pretest and state.state == "closed":
        return _l("The pre-test closed when your run of this module started.")
    return {
        "not_registered": _l("Only learners registered for this course can take its quizzes."),
        "no_seat": _l(
            "The quiz opens when your run of this module starts; you do not hold a seat in this module yet."
        ),
        "not_open_yet": _l("This quiz is not open yet."),
        "closed": _l("This quiz is closed."),
        "no_attempts_left": _l("You have used all your attempts at this quiz."),
    }[state.state]


def effective_deadline(attempt: Attempt) -> datetime | None:
    """The attempt's own time limit, or the quiz's closing, whichever comes first."""
    limits = [moment for moment in (attempt.deadline_at, attempt.quiz.closes_at) if moment is not None]
    return min(limits, default=None)


def expire_if_due(attempt: Attempt, now: datetime) -> bool:
    """Submit an open attempt whose time ran out (or whose quiz closed) with what was
    saved. True if it did."""
    deadline = effective_deadline(attempt)
    if attempt.is_open and deadline is not None and now > deadline:
        cause = "time_limit" if deadline == attempt.deadline_at else "quiz_closed"
        return finalise(attempt, deadline, submitted_by=cause)
    return False


def _check_owner(attempt: Attempt, user: User) -> None:
    if attempt.user_id != user.id:
        raise ServiceError(_l("This attempt is not yours."))


def parse_response(snapshot: dict, values: list[str]):
    """Turn form values into a stored response; anything not offered is dropped."""
    kind = snapshot["kind"]
    keys = {option["key"] for option in snapshot.get("options", [])}
    values = [value for value in values if value is not None]
    if kind == QuestionKind.SINGLE:
        return next((value for value in values if value in keys), None)
    if kind == QuestionKind.MULTIPLE:
        chosen = sorted({value for value in values if value in keys})
        return chosen or None
    if kind == QuestionKind.TRUE_FALSE:
        return {"true": True, "false": False}.get(values[0] if values else "")
    text = (values[0] if values else "").strip()
    return text or None


def save_answers(
    attempt: Attempt, user: User, form_values: dict[int, list[str]], now: datetime | None = None
) -> int:
    """Save the answers sent (question id → form values). Returns how many changed."""
    now = now or utcnow()
    _check_owner(attempt, user)
    expire_if_due(attempt, now)
    if not attempt.is_open:
        raise AttemptClosed(_l("This attempt is already submitted, so these answers were not saved."))
    changed = 0
    for answer in attempt.answers:
        if answer.question_id not in form_values:
            continue
        response = parse_response(answer.snapshot, form_values[answer.question_id])
        if response != answer.response:
            answer.response = response
            answer.saved_at = now
            changed += 1
    db.session.flush()
    return changed


def word_limit_problems(attempt: Attempt) -> list[str]:
    problems = []
    for answer in attempt.answers:
        snapshot = answer.snapshot
        if snapshot["kind"] != QuestionKind.ESSAY or not answer.response:
            continue
        words = word_count(answer.response)
        if snapshot.get("max_words") and words > snapshot["max_words"]:
            problems.append(
                _l(
                    "An essay has %(words)s words; the limit is %(limit)s.",
                    words=words,
                    limit=snapshot["max_words"],
                )
            )
        if snapshot.get("min_words") and words < snapshot["min_words"]:
            problems.append(
                _l(
                    "An essay has %(words)s words; at least %(limit)s are needed.",
                    words=words,
                    limit=snapshot["min_words"],
                )
            )
    return problems


def submit_attempt(attempt: Attempt, user: User, now: datetime | None = None) -> Attempt:
    now = now or utcnow()
    _check_owner(attempt, user)
    if expire_if_due(attempt, now):
        raise AttemptClosed(
            _l(
                "Time ran out before you submitted; your attempt was submitted with the answers saved until then."
            )
        )
    if not attempt.is_open:
        raise AttemptClosed(_l("This attempt was already submitted; here is its result."))
    problems = word_limit_problems(attempt)
    if problems:
        raise ServiceError(" ".join(str(problem) for problem in problems))
    if not finalise(attempt, now, submitted_by="learner"):
        raise AttemptClosed(_l("This attempt was already submitted; here is its result."))
    return attempt


def finalise(attempt: Attempt, now: datetime, submitted_by: str) -> bool:
    """Close the attempt once (a conditional UPDATE: two tabs cannot both submit)."""
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.IN_PROGRESS)
        .values(status=AttemptStatus.AWAITING_GRADING, submitted_at=now, submitted_by=submitted_by)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if claimed != 1:
        return False
    for answer in attempt.answers:
        answer.auto_score = score_answer(answer.snapshot, answer.response)
    if not any(answer.snapshot["kind"] == QuestionKind.ESSAY for answer in attempt.answers):
        _complete(attempt, now)
    db.session.flush()
    _announce_progress(attempt.quiz, [attempt.user_id])
    return True


def _announce_progress(quiz: Quiz, user_ids: list[int]) -> None:
    if user_ids:
        progress_changed.send(quiz.module.course_id, user_ids=user_ids)


def _complete(attempt: Attempt, now: datetime) -> None:
    attempt.status = AttemptStatus.GRADED
    attempt.graded_at = now
    _total(attempt)


def _total(attempt: Attempt) -> None:
    attempt.score, attempt.max_score, attempt.percent = totals(
        [float(answer.snapshot["points"]) for answer in attempt.answers],
        [answer.score for answer in attempt.answers],
    )
    attempt.passed = attempt.status == AttemptStatus.GRADED and attempt.percent >= attempt.quiz.pass_mark


# -- results -----------------------------------------------------------------------


def best_attempt(quiz: Quiz, user: User) -> Attempt | None:
    """The attempt that counts: the highest graded score."""
    graded = [attempt for attempt in attempts_of(quiz, user) if attempt.status == AttemptStatus.GRADED]
    return max(graded, key=lambda attempt: (attempt.percent or 0, -attempt.number), default=None)


def reveal_answers(attempt: Attempt, now: datetime) -> bool:
    """Whether the learner may see which answers were right (quiz settings)."""
    quiz = attempt.quiz
    if attempt.is_open or quiz.show_after == ShowAfter.SCORE:
        return False
    if quiz.show_when == ShowWhen.AFTER_CLOSE:
        return quiz.closes_at is not None and now > quiz.closes_at
    return True


def reveal_feedback(attempt: Attempt, now: datetime) -> bool:
    return reveal_answers(attempt, now) and attempt.quiz.show_after == ShowAfter.ANSWERS_AND_FEEDBACK


# -- grading -----------------------------------------------------------------------


def grading_queue(quiz: Quiz) -> list[Attempt]:
    """Attempts waiting for a trainer, oldest submission first."""
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.AWAITING_GRADING)
            .options(selectinload(Attempt.user))
            .order_by(Attempt.submitted_at, Attempt.id)
        )
    )


def grade_essay(
    answer: Answer, grader: User, points: float, feedback: str, now: datetime | None = None
) -> Attempt:
    now = now or utcnow()
    attempt = answer.attempt
    if not can_manage_course(grader, attempt.quiz.module.course_id):
        raise ServiceError(_l("Only the course's trainers and organisers can grade it."))
    if answer.snapshot["kind"] != QuestionKind.ESSAY:
        raise ServiceError(_l("Only essay answers are graded by hand."))
    if attempt.status == AttemptStatus.IN_PROGRESS:
        raise ServiceError(_l("This attempt has not been submitted yet."))
    maximum = float(answer.snapshot["points"])
    if not 0 <= points <= maximum:
        raise ServiceError(_l("Give between 0 and %(max)s points.", max=maximum))
    answer.manual_score = points
    answer.grader_feedback = feedback.strip()
    answer.graded_by_id = grader.id
    answer.graded_at = now
    essays = [a for a in attempt.answers if a.snapshot["kind"] == QuestionKind.ESSAY]
    if all(a.manual_score is not None for a in essays):
        was_waiting = attempt.status == AttemptStatus.AWAITING_GRADING
        _complete(attempt, now)
        if was_waiting:
            notify.attempt_graded(attempt)
    db.session.flush()
    _announce_progress(attempt.quiz, [attempt.user_id])
    record(ESSAY_GRADED, answer, actor=grader, course_id=attempt.quiz.module.course_id, points=points)
    return attempt


def regrade(quiz: Quiz, actor: User, now: datetime | None = None) -> int:
    """Re-score every submitted attempt with the questions' current answer keys.

    The snapshots keep the wording the learner saw; only the key (which options are
    correct, which answers are accepted) is replaced. Returns how many attempts'
    scores changed.
    """
    now = now or utcnow()
    questions = {question.id: question for question in quiz.questions}
    attempts = db.session.scalars(
        select(Attempt)
        .where(Attempt.quiz_id == quiz.id, Attempt.status != AttemptStatus.IN_PROGRESS)
        .options(selectinload(Attempt.answers))
    ).all()
    changed = 0
    passing_changed = []
    for attempt in attempts:
        before = (attempt.score, attempt.passed)
        for answer in attempt.answers:
            current = questions.get(answer.question_id)
            if current is None:
                continue
            snapshot = dict(answer.snapshot)
            correct = {option["key"]: option.get("correct", False) for option in current.options}
            snapshot["options"] = [
                {**option, "correct": correct.get(option["key"], False)}
                for option in snapshot.get("options", [])
            ]
            snapshot["answer"] = current.answer
            snapshot["accent_insensitive"] = current.accent_insensitive
            answer.snapshot = snapshot
            answer.auto_score = score_answer(snapshot, answer.response)
        if attempt.status == AttemptStatus.GRADED:
            _total(attempt)
        if (attempt.score, attempt.passed) != before:
            changed += 1
        if attempt.passed != before[1]:
            passing_changed.append(attempt.user_id)
    db.session.flush()
    _announce_progress(quiz, passing_changed)
    record(
        QUIZ_REGRADED,
        quiz,
        actor=actor,
        course_id=quiz.module.course_id,
        attempts=len(attempts),
        changed=changed,
    )
    return changed


def answer_key_changed(question: Question, new_options: list, new_answer: dict, new_accent: bool) -> bool:
    old = (
        {o["key"]: bool(o.get("correct")) for o in question.options},
        question.answer,
        question.accent_insensitive,
    )
    new = ({o["key"]: bool(o.get("correct")) for o in new_options}, new_answer, new_accent)
    return old != new


def answered_attempts(question: Question) -> int:
    return db.session.scalar(
        select(func.count(Answer.id))
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(Answer.question_id == question.id, Attempt.status != AttemptStatus.IN_PROGRESS)
    )


def quiz_for(course: Course, module_key: str, purpose: str = QuizPurpose.MODULE) -> Quiz | None:
    return db.session.scalar(
        select(Quiz)
        .join(Module, Module.id == Quiz.module_id)
        .where(Module.course_id == course.id, Module.key == module_key, Quiz.purpose == purpose)
        .options(selectinload(Quiz.questions))
    )


# -- authoring -----------------------------------------------------------------------


def update_settings(quiz: Quiz, values: dict, actor: User) -> None:
    for name, value in values.items():
        setattr(quiz, name, value)
    db.session.flush()
    record(SETTINGS_CHANGED, quiz, actor=actor, course_id=quiz.module.course_id)


def save_question(quiz: Quiz, question: Question | None, values: dict, actor: User) -> tuple[Question, int]:
    """Create or edit a question. Returns it and, when its answer key changed, how
    many submitted attempts used the old key (the trainer is then offered a regrade)."""
    affected = 0
    if question is None:
        position = max((q.position for q in quiz.questions), default=0) + 1
        question = Question(quiz=quiz, position=position, **values)
        db.session.add(question)
        action = QUESTION_ADDED
    else:
        if answer_key_changed(question, values["options"], values["answer"], values["accent_insensitive"]):
            affected = answered_attempts(question)
        for name, value in values.items():
            setattr(question, name, value)
        action = QUESTION_EDITED
    db.session.flush()
    record(action, question, actor=actor, course_id=quiz.module.course_id, key_change_affects=affected)
    return question, affected


def create_pretest(module: Module, actor: User) -> Quiz:
    """The module's pre-test, made from copies of its quiz's questions (the same questions
    before and after make the gain comparable). Copies, not shared rows: the trainer may
    then drop or reword a pre-test question without touching the quiz that counts."""
    if has_quiz(module, QuizPurpose.PRETEST):
        raise ServiceError(_l("This module already has a pre-test."))
    source = db.session.scalar(
        select(Quiz)
        .where(Quiz.module_id == module.id, Quiz.purpose == QuizPurpose.MODULE)
        .options(selectinload(Quiz.questions))
    )
    if source is None:
        raise ServiceError(_l("This module has no quiz to take the pre-test's questions from."))
    pretest = Quiz(
        module=module,
        purpose=QuizPurpose.PRETEST,
        title=_pretest_title(source.title),
        pass_mark=source.pass_mark,
        attempts_allowed=1,  # a second try would measure the first, not prior knowledge
        time_limit_minutes=source.time_limit_minutes,
        shuffle_questions=source.shuffle_questions,
        shuffle_options=source.shuffle_options,
        show_after=ShowAfter.SCORE,  # the answers stay for the quiz after the run
        show_when=ShowWhen.IMMEDIATELY,
        questions=[copy_question(question) for question in source.active_questions],
    )
    db.session.add(pretest)
    db.session.flush()
    record(
        PRETEST_CREATED, pretest, actor=actor, course_id=module.course_id, questions=len(pretest.questions)
    )
    return pretest


def _pretest_title(title: dict) -> dict:
    prefix = {"vi": "Bài kiểm tra đầu vào", "en": "Pre-test"}
    return {locale: f"{prefix.get(locale, 'Pre-test')} – {text}" for locale, text in title.items()} or prefix


def copy_question(question: Question) -> Question:
    return Question(
        position=question.position,
        kind=question.kind,
        text=dict(question.text),
        points=question.points,
        options=[dict(option) for option in question.options],
        answer=dict(question.answer),
        accent_insensitive=question.accent_insensitive,
        min_words=question.min_words,
        max_words=question.max_words,
        feedback=dict(question.feedback),
    )


def archive_question(question: Question, actor: User) -> bool:
    """Take a question out of new attempts; attempts that used it keep it. False when it
    already was out (a second click, another tab): nothing changes, nothing is logged."""
    if question.archived:
        return False
    question.archived = True
    db.session.flush()
    record(QUESTION_ARCHIVED, question, actor=actor, course_id=question.quiz.module.course_id)
    return True


# -- results ---------------------------------------------------------------------------


@dataclass
class LearnerResult:
    user: User
    attempts: int
    best: Attempt | None
    awaiting: int


@dataclass
class QuestionStats:
    question: Question
    answered: int
    correct_share: float | None
    common_wrong: list[tuple[str, int]]


def learner_results(quiz: Quiz) -> list[LearnerResult]:
    attempts = db.session.scalars(
        select(Attempt)
        .where(Attempt.quiz_id == quiz.id, Attempt.status != AttemptStatus.IN_PROGRESS)
        .options(selectinload(Attempt.user))
        .order_by(Attempt.user_id, Attempt.number)
    ).all()
    by_user: dict[int, LearnerResult] = {}
    for attempt in attempts:
        result = by_user.setdefault(attempt.user_id, LearnerResult(attempt.user, 0, None, 0))
        result.attempts += 1
        if attempt.status == AttemptStatus.AWAITING_GRADING:
            result.awaiting += 1
        elif result.best is None or (attempt.percent or 0) > (result.best.percent or 0):
            result.best = attempt
    return sorted(by_user.values(), key=lambda result: result.user.full_name)


def question_stats(quiz: Quiz, locale: str) -> list[QuestionStats]:
    """Per question: how many answered, the share fully right, the commonest wrong answers."""
    answers = db.session.scalars(
        select(Answer)
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(Attempt.quiz_id == quiz.id, Attempt.status != AttemptStatus.IN_PROGRESS)
    ).all()
    grouped: dict[int, list[Answer]] = {}
    for answer in answers:
        grouped.setdefault(answer.question_id, []).append(answer)
    stats = []
    for question in quiz.questions:
        rows = grouped.get(question.id, [])
        scored = [answer for answer in rows if answer.score is not None]
        right = [answer for answer in scored if answer.score >= float(answer.snapshot["points"])]
        wrong: dict[str, int] = {}
        for answer in scored:
            if answer in right or answer.response is None:
                continue
            label = _response_label(answer, locale)
            wrong[label] = wrong.get(label, 0) + 1
        stats.append(
            QuestionStats(
                question=question,
                answered=len(rows),
                correct_share=(len(right) / len(scored)) if scored else None,
                common_wrong=sorted(wrong.items(), key=lambda item: -item[1])[:3],
            )
        )
    return stats


def _response_label(answer: Answer, locale: str) -> str:
    snapshot, response = answer.snapshot, answer.response
    options = {option["key"]: tr_text(option["text"], locale) for option in snapshot.get("options", [])}
    if snapshot["kind"] == QuestionKind.SINGLE:
        return options.get(response, str(response))
    if snapshot["kind"] == QuestionKind.MULTIPLE:
        return " + ".join(options.get(key, key) for key in response)
    return str(response)


def quiz_purposes(module: Module) -> set[str]:
    """Which quizzes the module has (its quiz, its pre-test), in one query."""
    return module_quiz_purposes(module.id)


def module_quiz_purposes(module_id: int) -> set[str]:
    return set(db.session.scalars(select(Quiz.purpose).where(Quiz.module_id == module_id)))


def has_quiz(module: Module, purpose: str = QuizPurpose.MODULE) -> bool:
    return (
        db.session.scalar(select(Quiz.id).where(Quiz.module_id == module.id, Quiz.purpose == purpose))
        is not None
    )
