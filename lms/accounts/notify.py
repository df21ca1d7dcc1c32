"""Emails about the account itself, and finding the recipient of any email."""

from __future__ import annotations

from sqlalchemy.orm import lazyload

from lms.accounts.models import User
from lms.extensions import db
from lms.mail.kinds import Composition, RecipientGone
from lms.mail.outbox import queue_email


def recipient_of(payload: dict) -> User:
    """The user an email was queued for (every payload carries ``user_id``), without
    the roles a User otherwise loads with it (one query per email saved: no email
    depends on them)."""
    user = db.session.get(User, payload["user_id"], options=[lazyload(User.roles)])
    if user is None:
        raise RecipientGone(f"user {payload['user_id']} no longer exists")
    return user


def password_reset(user: User, link: str, minutes: int) -> None:
    # The link carries the only copy of the token (the database keeps its digest), so
    # the payload holds it until the message is built; the message holds it anyway.
    queue_email(user, "password_reset", link=link, minutes=minutes)


def build_password_reset(payload: dict) -> Composition:
    return Composition(
        recipient=recipient_of(payload),
        context={"link": payload["link"], "minutes": payload["minutes"]},
    )


MAIL_KINDS = {"password_reset": build_password_reset}
