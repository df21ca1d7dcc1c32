"""The completion rule, in one place.

For each module: Present or Late in one of its runs and a passed quiz (when the module
has one) and, when the edition requires it, the module's evaluation answered; or an
exception recorded by the organisers. An edition is complete when
every module is.
"""

from __future__ import annotations

from lms.attendance.models import AttendanceStatus

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
# Which of a learner's marks in a module's runs counts: the best one.
MARK_RANK = {AttendanceStatus.PRESENT: 3, AttendanceStatus.LATE: 2, AttendanceStatus.EXCUSED: 1}


def mark_rank(status: str | None) -> int:
    return -1 if status is None else MARK_RANK.get(status, 0)


def attended(status: str | None) -> bool:
    return status in ATTENDED


def module_done(
    *,
    attended: bool,
    quiz_passed: bool,
    has_quiz: bool,
    excepted: bool,
    evaluation_required: bool = False,
    evaluated: bool = False,
) -> bool:
    return excepted or (attended and (quiz_passed or not has_quiz) and (evaluated or not evaluation_required))
