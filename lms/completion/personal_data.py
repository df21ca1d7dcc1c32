"""The personal data completion holds: the exceptions organisers recorded for the
learner (a module counted as done), with their reasons. See lms.personal_data.

The exceptions stay (completion and certificates count them); the reasons, texts
organisers wrote about the person, go.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from lms.completion.models import CompletionException
from lms.extensions import db
from lms.personal_data import PersonalData


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def export_exceptions(user_id: int) -> list[dict]:
    rows = db.session.scalars(
        select(CompletionException)
        .where(CompletionException.user_id == user_id)
        .order_by(CompletionException.id)
    )
    return [
        {"module": row.module.key, "reason": row.reason, "recorded_at": _iso(row.recorded_at),
         "revoked_at": _iso(row.revoked_at), "revoke_reason": row.revoke_reason}
        for row in rows
    ]  # fmt: skip


def erase_exceptions(user_id: int) -> None:
    db.session.execute(
        update(CompletionException).where(CompletionException.user_id == user_id)
        .values(reason="", revoke_reason="").execution_options(synchronize_session="fetch")
    )  # fmt: skip


PERSONAL_DATA = (PersonalData("completion_exceptions", _l("Modules counted as done by the organisers"),
                              export_exceptions, erase_exceptions),)  # fmt: skip
