"""Scoring every question type, including partial credit and accent-insensitive answers."""

from __future__ import annotations

import pytest

from lms.quizzes.scoring import normalise, score_answer, word_count

OPTIONS = [
    {"key": "a", "correct": True},
    {"key": "b", "correct": True},
    {"key": "c"},
    {"key": "d"},
]


def single(points=1.0):
    return {
        "kind": "single",
        "points": points,
        "options": [{"key": "a", "correct": True}, {"key": "b"}, {"key": "c"}],
    }


def test_single_choice():
    assert score_answer(single(), "a") == 1.0
    assert score_answer(single(), "b") == 0.0
    assert score_answer(single(), None) == 0.0
    assert score_answer(single(2), "a") == 2.0


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (["a", "b"], 2.0),  # all right
        (["a"], 1.0),  # half of the right ones
        (["a", "c"], 0.0),  # a right one (+half) and a wrong one (-half) cancel out
        (["c", "d"], 0.0),  # never below zero
        (["a", "b", "c", "d"], 0.0),  # choosing everything earns nothing
        ([], 0.0),
    ],
)
def test_multiple_choice_gives_partial_credit_never_below_zero(chosen, expected):
    assert score_answer({"kind": "multiple", "points": 2, "options": OPTIONS}, chosen) == expected


def test_true_false():
    question = {"kind": "true_false", "points": 1, "answer": {"value": False}}
    assert score_answer(question, False) == 1.0
    assert score_answer(question, True) == 0.0
    assert score_answer(question, None) == 0.0


def test_short_answer_is_case_and_space_insensitive():
    question = {
        "kind": "short",
        "points": 1,
        "answer": {"accepted": {"vi": ["Cộng sinh công nghiệp"], "en": ["industrial symbiosis"]}},
    }
    assert score_answer(question, "  cộng SINH   công nghiệp ") == 1.0
    assert score_answer(question, "Industrial Symbiosis.") == 1.0
    assert score_answer(question, "cong sinh cong nghiep") == 0.0  # accents matter unless allowed


def test_short_answer_can_ignore_vietnamese_accents():
    question = {"kind": "short", "points": 1, "accent_insensitive": True,
                "answer": {"accepted": {"vi": ["cộng sinh công nghiệp", "Nghị định 35/2022/NĐ-CP"]}}}  # fmt: skip
    assert score_answer(question, "cong sinh cong nghiep") == 1.0
    assert score_answer(question, "nghi dinh 35/2022/nd-cp") == 1.0
    assert score_answer(question, "cong sinh") == 0.0


def test_essays_wait_for_a_person():
    assert score_answer({"kind": "essay", "points": 3}, "Một đoạn văn.") is None


def test_normalise_and_word_count():
    assert normalise("Đà Nẵng", accent_insensitive=True) == "da nang"
    assert normalise("Đà  Nẵng", accent_insensitive=False) == "đà nẵng"
    assert word_count("  khu công nghiệp  sinh thái ") == 5
