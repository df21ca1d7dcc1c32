"""The small-group rule of every donor figure, in one place.

A group of fewer than five people is not shown on its own (the donors' rule): its
count becomes "fewer than 5" and its figures are left out,
in pages and exports alike, so a rare combination of organisation type, province or
gender cannot point to one person's score or answer.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MIN_GROUP = 5
FEWER_THAN = _l("fewer than %(num)s", num=MIN_GROUP)


def too_small(count: int) -> bool:
    """True for a group that must not be shown on its own (an empty one is simply absent)."""
    return 0 < count < MIN_GROUP


def shown_count(count: int) -> int | str:
    """The count as a page or export shows it."""
    return str(FEWER_THAN) if too_small(count) else count
