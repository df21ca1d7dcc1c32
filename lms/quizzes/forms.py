"""Trainer forms: quiz settings and questions (one field per language)."""

from __future__ import annotations

import string
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from lms.db import parse_integer
from lms.numbers import FiniteDecimalField, WholeNumberField
from lms.quizzes.models import QuestionKind, ShowAfter, ShowWhen

LOCAL_FORMAT = "%Y-%m-%d %H:%M"


class LocalDateTimeField(StringField):
    """A date and time typed in the course's zone ("2023-10-10 09:00"); empty is allowed."""

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if text:
            try:
                self.data = datetime.strptime(text, LOCAL_FORMAT)
            except ValueError:
                raise ValueError(_l("Use the form 2023-10-10 09:00.")) from None

    def _value(self):
        return (
            self.data.strftime(LOCAL_FORMAT)
            if isinstance(self.data, datetime)
            else (self.raw_data or [""])[0]
        )


class QuizSettingsForm(FlaskForm):
    title_vi = StringField(_l("Title (Vietnamese)"), validators=[InputRequired(_l("Please enter a title."))])
    title_en = StringField(_l("Title (English)"))
    pass_mark = WholeNumberField(
        _l("Pass mark (%)"),
        validators=[InputRequired(), NumberRange(0, 100, _l("Enter a percentage from 0 to 100."))],
    )
    attempts_allowed = WholeNumberField(
        _l("Attempts allowed (0 = no limit)"), validators=[InputRequired(), NumberRange(0, 100)]
    )
    time_limit_minutes = WholeNumberField(
        _l("Time limit in minutes (empty = none)"), validators=[Optional(), NumberRange(1, 600)]
    )
    opens_at = LocalDateTimeField(_l("Opens (empty = when the learner's run starts)"))
    closes_at = LocalDateTimeField(
        _l("Closes (empty = stays open)"), description=_l("The closing minute still counts, e.g. 23:59.")
    )
    shuffle_questions = BooleanField(_l("Shuffle the questions"))
    shuffle_options = BooleanField(_l("Shuffle the options"))
    show_after = SelectField(
        _l("After submitting, learners see"),
        choices=[
            SelectChoice(ShowAfter.SCORE, _l("their score only")),
            SelectChoice(ShowAfter.ANSWERS, _l("their score and which answers were right")),
            SelectChoice(
                ShowAfter.ANSWERS_AND_FEEDBACK, _l("their score, the right answers and the feedback")
            ),
        ],
    )
    show_when = SelectField(
        _l("Answers are shown"),
        choices=[
            SelectChoice(ShowWhen.IMMEDIATELY, _l("immediately")),
            SelectChoice(ShowWhen.AFTER_CLOSE, _l("after the quiz closes")),
        ],
    )

    def validate_closes_at(self, field):
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The quiz must close after it opens."))


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(FlaskForm):
    text_vi = TextAreaField(
        _l("Question (Vietnamese)"), validators=[InputRequired(_l("Please write the question."))]
    )
    text_en = TextAreaField(_l("Question (English)"))
    points = FiniteDecimalField(
        _l("Points"),
        places=2,
        validators=[InputRequired(), NumberRange(0.01, 100, _l("Points must be more than 0."))],
    )
    options_vi = TextAreaField(_l("Options (Vietnamese), one per line"))
    options_en = TextAreaField(_l("Options (English), one per line, in the same order"))
    correct = StringField(_l("Numbers of the correct options, e.g. 1 or 1,3"))
    true_answer = RadioField(
        _l("Correct answer"),
        choices=[SelectChoice("true", _l("True")), SelectChoice("false", _l("False"))],
        default="true",
    )
    accepted_vi = TextAreaField(_l("Accepted answers (Vietnamese), one per line"))
    accepted_en = TextAreaField(_l("Accepted answers (English), one per line"))
    accent_insensitive = BooleanField(_l("Also accept answers typed without Vietnamese accents"))
    min_words = WholeNumberField(
        _l("Minimum words (optional)"), validators=[Optional(), NumberRange(0, 5000)]
    )
    max_words = WholeNumberField(
        _l("Maximum words (optional)"), validators=[Optional(), NumberRange(1, 5000)]
    )
    feedback_vi = TextAreaField(_l("Feedback after submitting (Vietnamese)"))
    feedback_en = TextAreaField(_l("Feedback after submitting (English)"))

    def __init__(self, kind: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            valid = self._check_options() and valid
        if self.kind == QuestionKind.SHORT and not (
            lines(self.accepted_vi.data) or lines(self.accepted_en.data)
        ):
            self.accepted_vi.errors.append(_l("Give at least one accepted answer."))
            valid = False
        if (
            self.kind == QuestionKind.ESSAY
            and self.min_words.data
            and self.max_words.data
            and self.min_words.data > self.max_words.data
        ):
            self.max_words.errors.append(_l("The maximum must not be below the minimum."))
            valid = False
        return valid

    def _check_options(self) -> bool:
        vi, en = lines(self.options_vi.data), lines(self.options_en.data)
        count = len(vi) or len(en)
        if count < 2:
            self.options_vi.errors.append(_l("Give at least two options."))
            return False
        if vi and en and len(vi) != len(en):
            self.options_en.errors.append(_l("Give the same number of options in both languages."))
            return False
        numbers = self.correct_numbers()
        if numbers is None or not numbers or any(n < 1 or n > count for n in numbers):
            self.correct.errors.append(
                _l("Give the numbers of the correct options, between 1 and %(count)s.", count=count)
            )
            return False
        if self.kind == QuestionKind.SINGLE and len(numbers) != 1:
            self.correct.errors.append(_l("A single-choice question has exactly one correct option."))
            return False
        return True

    def correct_numbers(self) -> set[int] | None:
        parts = [
            part.strip() for part in (self.correct.data or "").replace(";", ",").split(",") if part.strip()
        ]
        numbers = {parse_integer(part) for part in parts}
        return None if None in numbers else numbers

    def question_values(self) -> dict:
        """The question's fields as the model stores them."""
        values = {
            "kind": self.kind,
            "text": {"vi": self.text_vi.data.strip(), "en": (self.text_en.data or "").strip()},
            "points": float(self.points.data),
            "feedback": {
                "vi": (self.feedback_vi.data or "").strip(),
                "en": (self.feedback_en.data or "").strip(),
            },
            "options": [],
            "answer": {},
            "accent_insensitive": bool(self.accent_insensitive.data),
            "min_words": self.min_words.data,
            "max_words": self.max_words.data,
        }
        if self.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            vi, en = lines(self.options_vi.data), lines(self.options_en.data)
            correct = self.correct_numbers() or set()
            values["options"] = [
                {
                    "key": string.ascii_lowercase[index],
                    "text": {
                        "vi": vi[index] if index < len(vi) else "",
                        "en": en[index] if index < len(en) else "",
                    },
                    "correct": index + 1 in correct,
                }
                for index in range(max(len(vi), len(en)))
            ]
        elif self.kind == QuestionKind.TRUE_FALSE:
            values["answer"] = {"value": self.true_answer.data == "true"}
        elif self.kind == QuestionKind.SHORT:
            values["answer"] = {
                "accepted": {"vi": lines(self.accepted_vi.data), "en": lines(self.accepted_en.data)}
            }
        return values

    def load(self, question) -> None:
        """Fill the form from a stored question."""
        self.text_vi.data, self.text_en.data = question.text.get("vi", ""), question.text.get("en", "")
        self.points.data = question.points
        self.feedback_vi.data, self.feedback_en.data = (
            question.feedback.get("vi", ""),
            question.feedback.get("en", ""),
        )
        self.options_vi.data = "\n".join(option["text"].get("vi", "") for option in question.options)
        self.options_en.data = "\n".join(option["text"].get("en", "") for option in question.options)
        self.correct.data = ",".join(
            str(index + 1) for index, option in enumerate(question.options) if option.get("correct")
        )
        self.true_answer.data = "true" if question.answer.get("value", True) else "false"
        accepted = question.answer.get("accepted", {})
        self.accepted_vi.data, self.accepted_en.data = (
            "\n".join(accepted.get("vi", [])),
            "\n".join(accepted.get("en", [])),
        )
        self.accent_insensitive.data = question.accent_insensitive
        self.min_words.data, self.max_words.data = question.min_words, question.max_words


KIND_LABELS = {
    QuestionKind.SINGLE: _l("Single choice"),
    QuestionKind.MULTIPLE: _l("Multiple choice"),
    QuestionKind.TRUE_FALSE: _l("True or false"),
    QuestionKind.SHORT: _l("Short answer"),
    QuestionKind.ESSAY: _l("Essay"),
}
