"""The personal data recordings hold (lms.personal_data): who added a recording. The
recordings themselves show the session's participants, but they are kept by expiry, not
per person (the registration page says who sees them and for how long)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.extensions import db
from lms.personal_data import PersonalData
from lms.recordings.models import Recording


def export_added(user_id: int) -> list[dict]:
    rows = db.session.scalars(
        select(Recording).where(Recording.added_by_id == user_id).order_by(Recording.id)
    )
    return [{"run_id": row.run_id, "added_at": row.added_at.isoformat()} for row in rows]


def keep_added(user_id: int) -> None:
    """The user id stays (the account itself is de-identified): who added what is part
    of the course's record, like the audit log."""


PERSONAL_DATA = (PersonalData("recordings_added", _l("Session recordings added"), export_added, keep_added),)
