"""A closing time counts to the end of the minute (or second) it names."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from lms.deadlines import last_instant

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (datetime(2030, 9, 30, 23, 59), datetime(2030, 9, 30, 23, 59, 59, 999999)),
        (datetime(2030, 9, 30, 23, 59, 30), datetime(2030, 9, 30, 23, 59, 30, 999999)),
        (datetime(2030, 9, 30, 23, 59, 59), datetime(2030, 9, 30, 23, 59, 59, 999999)),
        (datetime(2030, 9, 30, 0, 0), datetime(2030, 9, 30, 0, 0, 59, 999999)),
        (datetime(2030, 9, 30, 23, 59, tzinfo=VN), datetime(2030, 9, 30, 23, 59, 59, 999999, VN)),
    ],
)
def test_the_last_instant_of_a_typed_closing_time(typed, stored):
    assert last_instant(typed) == stored
    assert last_instant(stored) == stored  # shown as 23:59 and saved again: unchanged
    assert stored.strftime("%H:%M") == typed.strftime("%H:%M")
