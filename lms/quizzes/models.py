"""Module quizzes: questions, attempts and answers.

An attempt keeps a snapshot of every question as the learner saw it, so editing a
question later never changes what an old attempt shows; a regrade re-scores the
snapshots with the corrected key and is recorded in the audit log.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.caching.invalidation import writes_shown
from lms.catalogue.models import Module
from lms.db import Translated, UTCDateTime, utcnow
from lms.extensions import db


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    SHORT = "short"
    ESSAY = "essay"


class ShowAfter(enum.StrEnum):
    SCORE = "score"
    ANSWERS = "answers"
    ANSWERS_AND_FEEDBACK = "answers_and_feedback"


class ShowWhen(enum.StrEnum):
    IMMEDIATELY = "immediately"
    AFTER_CLOSE = "after_close"


class QuizPurpose(enum.StrEnum):
    """What a quiz is for: the module quiz counts for completion; the pre-test, taken
    before the learner's run, only measures what they knew before (learning gain)."""

    MODULE = "module"
    PRETEST = "pretest"


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    AWAITING_GRADING = "awaiting_grading"  # essays wait for a trainer
    GRADED = "graded"  # final score known


class Quiz(db.Model):
    __tablename__ = "quiz"
    __table_args__ = (
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark_percent"),
        CheckConstraint("attempts_allowed >= 0", name="attempts_not_negative"),
        CheckConstraint("purpose IN ('module', 'pretest')", name="purpose_known"),
        # One module quiz and at most one pre-test per module.
        UniqueConstraint("module_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), default=QuizPurpose.MODULE, server_default="module")
    title: Mapped[dict] = mapped_column(Translated)
    pass_mark: Mapped[int] = mapped_column(default=70)
    attempts_allowed: Mapped[int] = mapped_column(default=3)  # 0 = no limit
    time_limit_minutes: Mapped[int | None]
    # None: opens when the learner's run of the module starts; stays open unless closed.
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    show_after: Mapped[str] = mapped_column(String(30), default=ShowAfter.ANSWERS_AND_FEEDBACK)
    show_when: Mapped[str] = mapped_column(String(30), default=ShowWhen.IMMEDIATELY)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    module: Mapped[Module] = relationship()
    questions: Mapped[list[Question]] = relationship(
        back_populates="quiz", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def is_pretest(self) -> bool:
        return self.purpose == QuizPurpose.PRETEST

    @property
    def active_questions(self) -> list[Question]:
        return [question for question in self.questions if not question.archived]

    @property
    def max_score(self) -> float:
        return sum(question.points for question in self.active_questions)


class Question(db.Model):
    __tablename__ = "question"
    __table_args__ = (CheckConstraint("points > 0", name="points_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[dict] = mapped_column(Translated)
    points: Mapped[float] = mapped_column(default=1.0)
    # Choice questions: [{"key": "a", "text": {...}, "correct": bool}, ...]
    options: Mapped[list] = mapped_column(JSON, default=list)
    # True/false: {"value": bool}; short answer: {"accepted": {"vi": [...], "en": [...]}}
    answer: Mapped[dict] = mapped_column(JSON, default=dict)
    accent_insensitive: Mapped[bool] = mapped_column(default=False)
    min_words: Mapped[int | None]
    max_words: Mapped[int | None]
    feedback: Mapped[dict] = mapped_column(Translated, default=dict)
    # Removed questions stay for the attempts that used them.
    archived: Mapped[bool] = mapped_column(default=False)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")

    def snapshot(self) -> dict:
        """Everything needed to show and score the question later, as it is now."""
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "points": self.points,
            "options": self.options,
            "answer": self.answer,
            "accent_insensitive": self.accent_insensitive,
            "min_words": self.min_words,
            "max_words": self.max_words,
            "feedback": self.feedback,
        }


class Attempt(db.Model):
    __tablename__ = "attempt"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=AttemptStatus.IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # "learner", or "time_limit" / "quiz_closed" when the server submitted it
    submitted_by: Mapped[str | None] = mapped_column(String(20))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None]
    max_score: Mapped[float] = mapped_column(default=0.0)
    percent: Mapped[float | None]
    passed: Mapped[bool | None]
    # The order the learner saw: {"questions": [question ids], "options": {question id: [keys]}}
    layout: Mapped[dict] = mapped_column(JSON, default=dict)

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="attempt", order_by="Answer.id")

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS


class Answer(db.Model):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    snapshot: Mapped[dict] = mapped_column(JSON)
    # Single: "a"; multiple: ["a", "c"]; true/false: true; short/essay: "text"; None: unanswered
    response: Mapped[object | None] = mapped_column(JSON)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    auto_score: Mapped[float | None]
    manual_score: Mapped[float | None]
    grader_feedback: Mapped[str] = mapped_column(Text, default="")
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")

    @property
    def score(self) -> float | None:
        return self.manual_score if self.snapshot["kind"] == QuestionKind.ESSAY else self.auto_score


# Learners' attempts show on no public page or feed. (lms.caching.invalidation)
for _quiet in (Attempt, Answer):
    writes_shown(_quiet.__table__, shown_in=())
