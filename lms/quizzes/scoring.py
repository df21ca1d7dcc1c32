"""Scoring one answer against a question snapshot. Pure functions, no database."""

from __future__ import annotations

import re
import unicodedata

from lms.quizzes.models import QuestionKind


def normalise(text: str, accent_insensitive: bool) -> str:
    """Case-, space- and (optionally) accent-insensitive form of a short answer.

    "Cộng  sinh" → "cộng sinh", and with accents ignored → "cong sinh". Vietnamese đ is
    a separate letter, not d with an accent, so it is mapped by hand.
    """
    text = unicodedata.normalize("NFC", text or "").casefold()
    text = re.sub(r"\s+", " ", text).strip().rstrip(".")
    if accent_insensitive:
        text = text.replace("đ", "d")
        text = "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char))
    return text


def word_count(text: str) -> int:
    return len((text or "").split())


def score_answer(snapshot: dict, response) -> float | None:
    """Points for ``response``; None when a person must grade it (essays)."""
    kind, points = snapshot["kind"], float(snapshot["points"])
    if kind == QuestionKind.ESSAY:
        return None
    if response is None:
        return 0.0
    if kind == QuestionKind.SINGLE:
        correct = {option["key"] for option in snapshot["options"] if option.get("correct")}
        return points if response in correct else 0.0
    if kind == QuestionKind.MULTIPLE:
        return _partial_credit(snapshot["options"], response, points)
    if kind == QuestionKind.TRUE_FALSE:
        return points if response is snapshot["answer"].get("value") else 0.0
    if kind == QuestionKind.SHORT:
        insensitive = bool(snapshot.get("accent_insensitive"))
        accepted = {
            normalise(text, insensitive)
            for texts in snapshot["answer"].get("accepted", {}).values()
            for text in texts
        }
        return points if normalise(str(response), insensitive) in accepted else 0.0
    raise ValueError(f"unknown question kind {kind!r}")


def _partial_credit(options: list[dict], response, points: float) -> float:
    """Each right option chosen earns its share; each wrong one chosen costs its
    share; the total never goes below zero."""
    chosen = set(response if isinstance(response, list) else [])
    correct = {option["key"] for option in options if option.get("correct")}
    wrong = {option["key"] for option in options} - correct
    earned = len(chosen & correct) / len(correct) if correct else 0.0
    lost = len(chosen & wrong) / len(wrong) if wrong else 0.0
    return round(points * max(0.0, earned - lost), 4)


def totals(points: list[float], scores: list[float | None]) -> tuple[float, float, float]:
    """An attempt's (score, max score, percent) from its questions' points and scores."""
    maximum = sum(points)
    score = round(sum(value or 0.0 for value in scores), 4)
    return score, maximum, round(100 * score / maximum, 2) if maximum else 0.0
