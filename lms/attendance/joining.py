"""Joining a live session through the platform: /join/<run> checks that the person may
enter, records the click and sends them on to the video link, which is shown nowhere
else (emails, calendars and pages carry the /join address)."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.attendance.models import JoinClick
from lms.catalogue.models import Run
from lms.db import utcnow
from lms.enrollment.models import RunChoice, where_holding_seat
from lms.extensions import db


class JoinRefusal(enum.StrEnum):
    NO_SEAT = "no_seat"  # a forwarded link: the person has no seat in this run
    CANCELLED = "cancelled"
    NO_LINK = "no_link"  # the organisers have not set the video link yet


class JoinRefused(Exception):
    def __init__(self, reason: JoinRefusal) -> None:
        super().__init__(reason)
        self.reason = reason


def holds_seat(user: User, run: Run) -> bool:
    """True when the user holds a confirmed seat in the run (active registration)."""
    statement = where_holding_seat(select(RunChoice.id)).where(
        RunChoice.run_id == run.id, RunChoice.user_id == user.id
    )
    return db.session.scalar(statement.limit(1)) is not None


def may_join(user: User, run: Run) -> bool:
    """Seat holders, the run's own trainers and organisers."""
    return holds_seat(user, run) or user in run.trainers or user.has_role(Role.ORGANISER)


def join(run: Run, user: User, now: datetime | None = None) -> str:
    """Record the click and return the video link to send the person to."""
    if not may_join(user, run):
        raise JoinRefused(JoinRefusal.NO_SEAT)
    if run.is_cancelled:
        raise JoinRefused(JoinRefusal.CANCELLED)
    if not run.join_url:
        raise JoinRefused(JoinRefusal.NO_LINK)
    db.session.add(JoinClick(run_id=run.id, user_id=user.id, clicked_at=now or utcnow()))
    db.session.flush()
    return run.join_url


HINT_WINDOW = timedelta(minutes=5)


def join_hints(run: Run, first_joins: dict[str, datetime], learner_ids) -> dict[str, list[User]]:
    """For each participant the import could not place (by key, with the time of their
    first join in the report): the seat holders who clicked /join within five minutes
    of it. Hints for the trainer only, never a match. One query for all of them."""
    if not first_joins:
        return {}
    learner_ids = set(learner_ids)
    rows = db.session.execute(
        select(JoinClick.clicked_at, User)
        .join(User, User.id == JoinClick.user_id)
        .where(
            JoinClick.run_id == run.id,
            JoinClick.clicked_at >= min(first_joins.values()) - HINT_WINDOW,
            JoinClick.clicked_at <= max(first_joins.values()) + HINT_WINDOW,
        )
        .order_by(User.full_name, User.id)
    ).all()
    hints: dict[str, list[User]] = {}
    for key, joined in first_joins.items():
        near = []
        for clicked_at, user in rows:
            if user.id in learner_ids and abs(clicked_at - joined) <= HINT_WINDOW and user not in near:
                near.append(user)
        if near:
            hints[key] = near
    return hints
