"""The personal data privacy itself holds: the learner's requests (with their own words)
and the copies of their data prepared for download. See lms.personal_data."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from lms.accounts.models import User
from lms.extensions import db
from lms.personal_data import PersonalData
from lms.privacy.download import downloads_of, expire_downloads_of
from lms.privacy.models import PrivacyRequest


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def export_requests(user_id: int) -> list[dict]:
    rows = db.session.scalars(
        select(PrivacyRequest).where(PrivacyRequest.user_id == user_id).order_by(PrivacyRequest.id)
    )
    return [
        {"kind": row.kind, "status": row.status, "reason": row.reason, "made_at": _iso(row.created_at),
         "due_at": _iso(row.due_at), "processed_at": _iso(row.processed_at)}
        for row in rows
    ]  # fmt: skip


def erase_requests(user_id: int) -> None:
    db.session.execute(
        update(PrivacyRequest).where(PrivacyRequest.user_id == user_id).values(reason="")
        .execution_options(synchronize_session="fetch")
    )  # fmt: skip


def export_downloads(user_id: int) -> list[dict]:
    user = db.session.get(User, user_id)
    return [
        {"asked_at": _iso(job.created_at), "status": job.status, "expires_at": _iso(job.expires_at)}
        for job in (downloads_of(user, limit=1000) if user is not None else [])
    ]


def erase_downloads(user_id: int) -> None:
    for path in expire_downloads_of(user_id):
        # a copy of the person's data must not outlive them; if this transaction rolls
        # back, the row says "done" without a file and the learner asks again
        (Path(current_app.instance_path) / path).unlink(missing_ok=True)


PERSONAL_DATA = (
    PersonalData(
        "data_downloads", _l("Copies of your data you downloaded"), export_downloads, erase_downloads
    ),
    PersonalData("data_requests", _l("Your requests about your data"), export_requests, erase_requests),
)
