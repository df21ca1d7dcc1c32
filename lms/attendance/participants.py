"""From a report's joins to learners' attendance. Pure functions: no database, no
Flask, no translations.

- ``group_participants`` gathers a person's joins (by email, else by normalised name)
  and counts the minutes spent inside the run, reconnections merged.
- ``match_participants`` finds the learner of each participant: by email, then by the
  exact normalised name; never by a fuzzy guess. Names that fit nobody or several
  learners are handed back for review.
- ``status_for`` turns minutes into present / late / absent.

Every output is sorted, so importing the same report twice gives exactly the same result.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from lms.attendance.report_parsing import Join, Report


@dataclass(frozen=True)
class Participant:
    """One person of a report, with the minutes they spent inside the run's window."""

    key: str  # "email:<email>" or "name:<normalised name>"
    name: str  # as the report shows it (from the person's earliest join)
    email: str | None  # lower case
    minutes: int
    lines: tuple[int, ...]
    joins: tuple[Join, ...] = ()
    window: tuple[datetime, datetime] | None = None  # the run the minutes were counted in
    other_name: str | None = None  # the name in the other order (Meet), see Join


@dataclass(frozen=True)
class Learner:
    id: int
    full_name: str
    email: str | None = None


@dataclass(frozen=True)
class MatchedLearner:
    minutes: int
    participant_keys: tuple[str, ...]
    joins: tuple[Join, ...]
    # how each participant (same order as participant_keys) was matched: "email", "name"
    # or "review" (assigned by the trainer)
    via: tuple[str, ...] = ()


@dataclass
class MatchResult:
    matched: dict[int, MatchedLearner] = field(default_factory=dict)
    unmatched: list[Participant] = field(default_factory=list)
    ambiguous: list[tuple[Participant, list[int]]] = field(default_factory=list)
    ignored: list[Participant] = field(default_factory=list)  # by the trainer's decision


# ---------------------------------------------------------------------------------------
# Names

_MARKER = re.compile(r"\s*\(\s*(?:guest|external|khach|unverified)\s*\)$")


def normalise_name(name: str) -> str:
    """Case-, space- and diacritic-insensitive form of a person's name, for exact
    comparison: "  NGUYỄN  Thị   Hương " → "nguyen thi huong".

    Only the platforms' own markers "(Guest)", "(External)", "(Khách)" and
    "(Unverified)" at the end are dropped; any other text in parentheses stays, so
    "Nguyễn Thị Hương (Ban QL KCN)" is not "Nguyễn Thị Hương". Vietnamese đ is a letter
    of its own, not d with a mark, so it is mapped by hand.
    """
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")  # zero-width, BOM
    text = text.casefold().replace("đ", "d").replace("ð", "d")
    text = "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char))
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
    while (marker := _MARKER.search(text)) and marker.start() > 0:
        text = text[: marker.start()]
    return text


# ---------------------------------------------------------------------------------------
# Minutes and status


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("the run's start and end must be aware datetimes")
    if ends_at < starts_at:
        raise ValueError("the run ends before it starts")


def merged_intervals(
    joins: Iterable[Join], starts_at: datetime, ends_at: datetime
) -> list[tuple[datetime, datetime]]:
    """The joins clipped to [starts_at, ends_at], overlapping or touching ones merged
    (reconnections), in time order."""
    _check_window(starts_at, ends_at)
    spans = sorted(
        (max(join.joined_at, starts_at), min(join.left_at, ends_at))
        for join in joins
        if min(join.left_at, ends_at) > max(join.joined_at, starts_at)
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def attendance_minutes(joins: Iterable[Join], starts_at: datetime, ends_at: datetime) -> int:
    """Whole minutes (rounded down) a person spent inside the run, never counting the
    same moment twice."""
    total = sum((end - start for start, end in merged_intervals(joins, starts_at, ends_at)), timedelta())
    return total // timedelta(minutes=1)


def status_for(minutes: int, run_minutes: int, present_share: float = 0.75, late_share: float = 0.25) -> str:
    """The status for minutes attended of a run_minutes long run: "present" from
    present_share of the run, "late" from late_share, else "absent" (the course's
    percentages divided by 100). Zero minutes is always absent, whatever the shares."""
    if run_minutes <= 0:
        raise ValueError("a run lasts at least a minute")
    present, late = Decimal(str(present_share)), Decimal(str(late_share))
    if not 0 <= late <= present <= 1:
        raise ValueError("shares must satisfy 0 ≤ late_share ≤ present_share ≤ 1")
    if minutes <= 0:
        return "absent"
    if minutes >= present * run_minutes:
        return "present"
    if minutes >= late * run_minutes:
        return "late"
    return "absent"


# ---------------------------------------------------------------------------------------
# Participants and learners


def _join_order(join: Join) -> tuple:
    return (join.joined_at, join.left_at, join.line)


def group_participants(report: Report, starts_at: datetime, ends_at: datetime) -> list[Participant]:
    """One Participant per person of the report, sorted by key: joins with an email are
    grouped by the email (case-insensitive), the others by normalised name."""
    _check_window(starts_at, ends_at)
    groups: dict[str, list[Join]] = {}
    for join in report.joins:
        key = f"email:{join.email.casefold()}" if join.email else f"name:{normalise_name(join.name)}"
        groups.setdefault(key, []).append(join)
    participants = []
    for key in sorted(groups):
        joins = tuple(sorted(groups[key], key=_join_order))
        participants.append(
            Participant(
                key=key,
                name=joins[0].name,
                email=joins[0].email.casefold() if joins[0].email else None,
                minutes=attendance_minutes(joins, starts_at, ends_at),
                lines=tuple(sorted({join.line for join in joins})),
                joins=joins,
                window=(starts_at, ends_at),
                other_name=joins[0].other_name,
            )
        )
    return participants


def match_participants(
    participants: Sequence[Participant],
    learners: Sequence[Learner],
    assigned: Mapping[str, int | None] | None = None,
) -> MatchResult:
    """Each participant's learner: by email (case-insensitive, exact), otherwise by the
    exact normalised name. A name that fits nobody is unmatched; one that fits several
    learners is ambiguous (with the candidates' ids). So is a name that fits a learner
    who also joined under their email: it may be them on a second device, or somebody
    else with the same name, and only the trainer knows.

    ``assigned`` holds the trainer's review decisions, by participant key: a learner id
    (matched "by review") or None (ignored). Participants of the same learner are merged
    and their minutes counted again from the union of their joins."""
    assigned = assigned or {}
    known = {learner.id for learner in learners}
    by_email: dict[str, set[int]] = {}
    by_name: dict[str, set[int]] = {}
    for learner in learners:
        if learner.email and learner.email.strip():
            by_email.setdefault(learner.email.strip().casefold(), set()).add(learner.id)
        name = normalise_name(learner.full_name)
        if name:
            by_name.setdefault(name, set()).add(learner.id)

    found: dict[int, list[tuple[Participant, str]]] = {}
    result = MatchResult()
    by_name_only: list[tuple[Participant, int]] = []
    for participant in sorted(participants, key=lambda participant: participant.key):
        if participant.key in assigned:
            learner_id = assigned[participant.key]
            if learner_id is None:
                result.ignored.append(participant)
            elif learner_id not in known:
                raise ValueError(f"{participant.key} was assigned to a learner who is not in the run")
            else:
                found.setdefault(learner_id, []).append((participant, "review"))
            continue
        candidates: set[int] = set()
        if participant.email:
            candidates = by_email.get(participant.email.strip().casefold(), set())
        if candidates:
            via = "email"
        else:
            via = "name"
            names = {normalise_name(participant.name), normalise_name(participant.other_name or "")} - {""}
            candidates = set().union(*(by_name.get(name, set()) for name in names))
        if not candidates:
            result.unmatched.append(participant)
        elif len(candidates) > 1:
            result.ambiguous.append((participant, sorted(candidates)))
        elif via == "name":
            by_name_only.append((participant, next(iter(candidates))))
        else:
            found.setdefault(next(iter(candidates)), []).append((participant, via))

    for participant, learner_id in by_name_only:
        if any(via == "email" for _, via in found.get(learner_id, ())):
            result.ambiguous.append((participant, [learner_id]))
        else:
            found.setdefault(learner_id, []).append((participant, "name"))
    result.ambiguous.sort(key=lambda item: item[0].key)

    for learner_id in sorted(found):
        pairs = sorted(found[learner_id], key=lambda pair: pair[0].key)
        joins = tuple(
            sorted({join for participant, _ in pairs for join in participant.joins}, key=_join_order)
        )
        if len(pairs) == 1:
            minutes = pairs[0][0].minutes
        else:
            windows = {participant.window for participant, _ in pairs}
            if len(windows) != 1 or None in windows:
                raise ValueError("participants of different runs cannot be merged")
            starts_at, ends_at = windows.pop()
            minutes = attendance_minutes(joins, starts_at, ends_at)
        result.matched[learner_id] = MatchedLearner(
            minutes=minutes,
            participant_keys=tuple(participant.key for participant, _ in pairs),
            joins=joins,
            via=tuple(via for _, via in pairs),
        )
    return result
