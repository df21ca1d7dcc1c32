"""The small-group rule of every report on people's answers, in one place: a group of
fewer than five answers is shown as "fewer than 5", in pages and exports alike, so a
rare combination (one woman from one province) cannot point to a person's answer.

Reports call :func:`disclosed` for every figure computed from a group and
:func:`is_small` to leave a group's details out.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SMALL_GROUP = 5
FEWER_THAN = _l("fewer than 5")


def is_small(count: int) -> bool:
    return count < SMALL_GROUP


def disclosed(count: int, value=None):
    """``value`` (by default the count itself), or "fewer than 5" for a small group."""
    if is_small(count):
        return str(FEWER_THAN)
    return count if value is None else value
