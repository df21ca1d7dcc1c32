"""Check-in codes: a learner holding a seat types the code the trainer shows during the
session and is marked present (source "check-in").

The code is six characters of an alphabet without look-alikes (no 0/O, 1/I/L, U),
derived with HMAC from the app's secret, the run, the run's code generation and the
10-minute slot of the clock: it changes every 10 minutes, cannot be guessed without
the secret, and needs no row until a trainer asks for a new code at once (a new
generation). Wrong codes are counted per learner in the database and throttled.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.attendance.joining import holds_seat
from lms.attendance.models import CheckInFailure, CheckInRotation
from lms.attendance.services import check_in_mark, check_may_mark
from lms.catalogue.models import Run, RunStatus
from lms.db import utcnow
from lms.errors import ServiceError
from lms.extensions import db

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 6
SLOT = timedelta(minutes=10)
# A code that changed while the learner was typing it is still taken this long.
GRACE = timedelta(minutes=2)
OPEN_AFTER_END = timedelta(minutes=15)
MAX_WRONG = 5
WRONG_WINDOW = timedelta(minutes=10)


class CheckedIn(enum.StrEnum):
    PRESENT = "present"  # marked present now
    ALREADY_MARKED = "already_marked"  # a mark was there: kept as it is
    WRONG = "wrong"  # not a code of this session (counted for the throttle)


def is_open(run: Run, now: datetime) -> bool:
    """Check-in is open from the run's start until 15 minutes after its end."""
    return run.status != RunStatus.CANCELLED and run.starts_at <= now <= run.ends_at + OPEN_AFTER_END


def _slot(moment: datetime) -> int:
    return int(moment.timestamp() // SLOT.total_seconds())


def _slot_start(slot: int) -> datetime:
    return datetime.fromtimestamp(slot * SLOT.total_seconds(), UTC)


def code_for(run_id: int, generation: int, slot: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    run_secret = hmac.new(key, f"lms.checkin:{run_id}:{generation}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(hmac.new(run_secret, str(slot).encode(), hashlib.sha256).digest()[:8], "big")
    characters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        characters.append(ALPHABET[index])
    return "".join(characters)


def generations(run_ids) -> dict[int, int]:
    """{run id: current code generation} (0 for runs never rotated), in one query."""
    rows = db.session.execute(
        select(CheckInRotation.run_id, CheckInRotation.generation).where(CheckInRotation.run_id.in_(run_ids))
    )
    found = dict(rows.all())
    return {run_id: found.get(run_id, 0) for run_id in run_ids}


def current_code(run: Run, now: datetime, generation: int | None = None) -> str:
    if generation is None:
        generation = generations([run.id])[run.id]
    return code_for(run.id, generation, _slot(now))


def code_changes_at(now: datetime) -> datetime:
    return _slot_start(_slot(now) + 1)


def rotate(run: Run, actor: User, now: datetime | None = None) -> str:
    """A new code at once (the one shown before stops working). Returns the new code."""
    check_may_mark(actor, run)
    now = now or utcnow()
    if not is_open(run, now):
        raise ServiceError(_l("Check-in codes exist only during the session and 15 minutes after it."))
    rotation = db.session.get(CheckInRotation, run.id)
    if rotation is None:
        rotation = CheckInRotation(run_id=run.id, generation=0)
        db.session.add(rotation)
    rotation.generation += 1
    rotation.rotated_at, rotation.rotated_by_id = now, actor.id
    db.session.flush()
    return current_code(run, now, rotation.generation)


def normalise(typed: str) -> str:
    """Upper case without spaces or dashes; O and I/L read as the digits people meant
    are not in the alphabet, so they simply do not match."""
    return "".join(character for character in (typed or "").upper() if character.isalnum())[:20]


def wrong_codes_lately(user: User, now: datetime) -> int:
    return db.session.scalar(
        select(func.count(CheckInFailure.id)).where(
            CheckInFailure.user_id == user.id, CheckInFailure.tried_at > now - WRONG_WINDOW
        )
    )


def _accepted_slots(now: datetime) -> list[int]:
    slot = _slot(now)
    return [slot, slot - 1] if now - _slot_start(slot) < GRACE else [slot]


def _expired(run: Run, code: str, generation: int, now: datetime) -> bool:
    """An earlier code of this run (an earlier slot, or a generation rotated away)."""
    first = _slot(run.starts_at)
    slots = range(first, _slot(now) + 1)
    return any(
        code_for(run.id, older, slot) == code
        for older in range(max(0, generation - 3), generation + 1)
        for slot in slots
        if (older, slot) not in {(generation, accepted) for accepted in _accepted_slots(now)}
    )


def _of_another_run(run: Run, code: str, now: datetime) -> bool:
    """The current code of another session on now (a learner in the wrong room)."""
    others = list(
        db.session.scalars(
            select(Run.id).where(
                Run.id != run.id,
                Run.status != RunStatus.CANCELLED,
                Run.starts_at <= now,
                Run.ends_at >= now - OPEN_AFTER_END,
            )
        )
    )
    current = generations(others)
    return any(
        code_for(other, current[other], slot) == code for other in others for slot in _accepted_slots(now)
    )


def check_in(run: Run, learner: User, typed: str, now: datetime | None = None) -> CheckedIn:
    """Mark the learner present when ``typed`` is the run's current code. Refusals
    that record nothing raise ServiceError; a wrong code is recorded (for the
    throttle) and returned as WRONG so that the caller commits the record."""
    now = now or utcnow()
    if not holds_seat(learner, run):
        raise ServiceError(_l("You have no seat in this session, so you cannot check in to it."))
    if wrong_codes_lately(learner, now) >= MAX_WRONG:
        raise ServiceError(
            _l("Too many wrong codes. Please wait ten minutes, then type the code the trainer shows now.")
        )
    if not is_open(run, now):
        raise ServiceError(
            _l("Check-in for this session is open from its start until 15 minutes after its end.")
        )
    code = normalise(typed)
    if not code:
        raise ServiceError(_l("Please type the check-in code the trainer shows."))
    generation = generations([run.id])[run.id]
    if any(code_for(run.id, generation, slot) == code for slot in _accepted_slots(now)):
        return CheckedIn.PRESENT if check_in_mark(run, learner, now) else CheckedIn.ALREADY_MARKED
    if _expired(run, code, generation, now):
        raise ServiceError(_l("This code has expired. Please type the code the trainer shows now."))
    if _of_another_run(run, code, now):
        raise ServiceError(_l("This is the code of another session. Please check which session you are in."))
    db.session.add(CheckInFailure(run_id=run.id, user_id=learner.id, tried_at=now))
    db.session.flush()
    return CheckedIn.WRONG
