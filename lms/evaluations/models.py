"""Evaluation forms, their items, and the answers, stored so that nobody can tell who
gave which answer.

Anonymity by design:
- ``EvaluationResponse`` and ``EvaluationAnswer`` have no user id, no exact time (only
  the Monday of the week the answer arrived) and a random primary key, so neither a
  column nor the order of the keys leads back to a person. On SQLite the tables are
  ``WITHOUT ROWID``: rows are kept in the order of their random keys, not of arrival.
- Whether someone has answered is ``EvaluationInvitation`` (user, form), kept apart:
  organisers remind those who have not and see response rates from it.
- The breakdowns the donors ask for (organisation type, province, gender) are copied
  onto the response when it is submitted; nothing else about the person is.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.caching.invalidation import writes_shown
from lms.db import Translated, UTCDateTime
from lms.extensions import db


class FormKind(enum.StrEnum):
    MODULE = "module"  # the evaluation of one module (level 1)
    FOLLOW_UP = "follow_up"  # months after completing: was it applied? (level 3)


class ItemKind(enum.StrEnum):
    RATING = "rating"  # 1 to 5, with a label per point and language
    SINGLE = "single"  # one of the options
    MULTIPLE = "multiple"  # any of the options
    TEXT = "text"  # free text


RATING_POINTS = (1, 2, 3, 4, 5)


def random_key() -> str:
    """A primary key that says nothing about when or in what order a row arrived."""
    return secrets.token_hex(16)


class EvaluationSettings(db.Model):
    """An edition's choices about its evaluations (absent: the defaults)."""

    __tablename__ = "evaluation_settings"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    required_for_certificate: Mapped[bool] = mapped_column(default=False)
    trainers_see_results: Mapped[bool] = mapped_column(default=True)
    follow_up_months: Mapped[int] = mapped_column(default=3)


class EvaluationForm(db.Model):
    __tablename__ = "evaluation_form"
    __table_args__ = (UniqueConstraint("course_id", "module_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    # The module evaluated; None for the edition's follow-up survey.
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=FormKind.MODULE)
    # After this instant no answer is taken (its minute counts: lms.deadlines.last_instant).
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the first answer: from then on the items may no longer change.
    answered: Mapped[bool] = mapped_column(default=False)

    items: Mapped[list[EvaluationItem]] = relationship(
        back_populates="form", order_by="EvaluationItem.position", cascade="all, delete-orphan"
    )

    @property
    def is_follow_up(self) -> bool:
        return self.kind == FormKind.FOLLOW_UP


class EvaluationItem(db.Model):
    __tablename__ = "evaluation_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("evaluation_form.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[dict] = mapped_column(Translated)
    # Choices: a list of {"vi": ..., "en": ...}; ratings: five labels, 1 to 5.
    options: Mapped[list] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(default=True)

    form: Mapped[EvaluationForm] = relationship(back_populates="items")


class EvaluationInvitation(db.Model):
    """One learner and one form: invited when, reminded when (once), answered or not.
    Personal data (lms.evaluations.personal_data); it never says what they answered."""

    __tablename__ = "evaluation_invitation"
    __table_args__ = (UniqueConstraint("form_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("evaluation_form.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered: Mapped[bool] = mapped_column(default=False)

    form: Mapped[EvaluationForm] = relationship()


class EvaluationResponse(db.Model):
    """One anonymous answer to a form: no user, no time but the week, a random key."""

    __tablename__ = "evaluation_response"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_key)
    form_id: Mapped[int] = mapped_column(ForeignKey("evaluation_form.id", ondelete="CASCADE"), index=True)
    week: Mapped[date] = mapped_column(Date)  # the Monday of the week it arrived
    organisation_type: Mapped[str] = mapped_column(String(40), default="")
    province: Mapped[str] = mapped_column(String(40), default="")
    gender: Mapped[str] = mapped_column(String(20), default="")

    answers: Mapped[list[EvaluationAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class EvaluationAnswer(db.Model):
    __tablename__ = "evaluation_answer"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_key)
    response_id: Mapped[str] = mapped_column(
        ForeignKey("evaluation_response.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("evaluation_item.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int | None]
    choices: Mapped[list | None] = mapped_column(JSON)  # option indexes
    text: Mapped[str | None] = mapped_column(Text)
    # An organiser hid an abusive free text (recorded in the audit log).
    hidden: Mapped[bool] = mapped_column(default=False)

    response: Mapped[EvaluationResponse] = relationship(back_populates="answers")


# Invitations and (anonymous) answers show on no public page or feed. (lms.caching.invalidation)
for _quiet in (EvaluationInvitation, EvaluationResponse, EvaluationAnswer):
    writes_shown(_quiet.__table__, shown_in=())
