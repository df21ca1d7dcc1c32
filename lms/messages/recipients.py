"""Who a message reaches: the audience rule's people, less inactive accounts and, for
optional messages, those who turned them off."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from lms.accounts.models import User
from lms.extensions import db
from lms.messages.audiences import Scope, audience_named
from lms.messages.models import MessageOptOut

# A lookup of thousands of ids goes in slices, under every database's parameter limit.
SLICE = 900


@dataclass
class Reach:
    selected: int  # the audience rule's people with an active account
    opted_out: int  # of them, those who turned optional messages off (not reached)
    recipients: list[tuple[int, str, str]] = field(default_factory=list)  # (id, email, locale)

    @property
    def count(self) -> int:
        return len(self.recipients)


def reach_of(scope: Scope, audience: str, about_seats: bool) -> Reach:
    chosen = audience_named(audience)
    ids = sorted(chosen.select(scope)) if chosen else []
    people: list[tuple[int, str, str, bool]] = []
    for start in range(0, len(ids), SLICE):
        people += db.session.execute(
            select(User.id, User.email, User.locale, MessageOptOut.user_id.is_not(None))
            .outerjoin(MessageOptOut, MessageOptOut.user_id == User.id)
            .where(User.id.in_(ids[start : start + SLICE]), User.is_active_account.is_(True))
        ).all()
    opted_out = 0 if about_seats else sum(1 for *_, off in people if off)
    recipients = [
        (user_id, email, locale) for user_id, email, locale, off in people if about_seats or not off
    ]
    return Reach(selected=len(people), opted_out=opted_out, recipients=recipients)
