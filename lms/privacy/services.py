"""Learners' requests about their data and how organisers carry them out.

Functions flush, never commit (routes, the CLI and jobs commit)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.accounts.personal_data import is_placeholder_email
from lms.accounts.services import password_matches
from lms.audit.actions import declare_action
from lms.audit.models import record
from lms.certificates.models import Certificate
from lms.certificates.services import reissue
from lms.db import utcnow
from lms.errors import FieldError, ServiceError
from lms.extensions import db
from lms.privacy import notify
from lms.privacy.deidentify import BY_REQUEST, deidentify
from lms.privacy.models import PrivacyRequest, RequestKind, RequestStatus

DELETION_REQUESTED = declare_action("privacy.deletion_requested", _l("Asked for their account to be deleted"))
CORRECTION_REQUESTED = declare_action(
    "privacy.correction_requested", _l("Asked for a certificate with their corrected name")
)
CORRECTION_PROCESSED = declare_action(
    "privacy.correction_processed", _l("Re-issued a certificate with the learner's corrected name")
)
DELETION_PROCESSED = declare_action(
    "privacy.deletion_processed", _l("Carried out a request to delete an account")
)

MAX_REASON = 2000


class AlreadyRequested(ServiceError):
    pass


def deadline_days() -> int:
    return current_app.config["DELETION_DEADLINE_DAYS"]


def open_request(user: User, kind: str = RequestKind.DELETION) -> PrivacyRequest | None:
    return db.session.scalar(
        select(PrivacyRequest).where(
            PrivacyRequest.user_id == user.id,
            PrivacyRequest.kind == kind,
            PrivacyRequest.status == RequestStatus.OPEN,
        )
    )


def request_deletion(
    user: User, password: str, reason: str = "", now: datetime | None = None
) -> PrivacyRequest:
    """The learner asks for their account to be deleted, confirming with their password."""
    if not password_matches(user, password or ""):
        raise FieldError("password", _l("The password is not correct."))
    if open_request(user) is not None:
        raise AlreadyRequested(
            _l("You have already asked for your account to be deleted; the organisers are handling it.")
        )
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise FieldError("reason", _l("Please keep the reason under %(num)s characters.", num=MAX_REASON))
    now = now or utcnow()
    request = PrivacyRequest(
        user_id=user.id, kind=RequestKind.DELETION, status=RequestStatus.OPEN, reason=reason,
        created_at=now, due_at=now + timedelta(days=deadline_days()),
    )  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(request)
    except IntegrityError:
        # the same request sent twice at once: the partial unique index keeps one
        raise AlreadyRequested(
            _l("You have already asked for your account to be deleted; the organisers are handling it.")
        ) from None
    record(DELETION_REQUESTED, request, actor=user)
    return request


def request_correction(user: User, certificate_id: int, now: datetime | None = None) -> PrivacyRequest:
    """The learner asks for their certificate to be re-issued with the name their
    profile now has (after correcting it); an organiser approves it in the queue."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.user_id != user.id:
        raise ServiceError(_l("This certificate is not yours."))
    if not certificate.is_valid:
        raise ServiceError(_l("Only a valid certificate can be re-issued."))
    if certificate.learner_name == user.full_name:
        raise ServiceError(_l("This certificate already shows the name in your profile. Correct your name in your profile first."))  # fmt: skip
    if open_request(user, RequestKind.CORRECTION) is not None:
        raise AlreadyRequested(_l("You have already asked for a corrected certificate; the organisers are handling it."))  # fmt: skip
    now = now or utcnow()
    request = PrivacyRequest(
        user_id=user.id, kind=RequestKind.CORRECTION, status=RequestStatus.OPEN, certificate_id=certificate.id,
        reason="", created_at=now, due_at=now + timedelta(days=deadline_days()),
    )  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(request)
    except IntegrityError:
        raise AlreadyRequested(
            _l("You have already asked for a corrected certificate; the organisers are handling it.")
        ) from None
    record(CORRECTION_REQUESTED, request, actor=user)
    return request


def process_correction(request: PrivacyRequest, actor: User, now: datetime | None = None) -> None:
    """Approve a correction: the certificates' own re-issue (new code, the profile's
    name; the old code answers "replaced")."""
    if not request.is_open:
        raise ServiceError(_l("This request has already been carried out."))
    certificate = db.session.get(Certificate, request.certificate_id)
    reissue(certificate, actor)
    request.status = RequestStatus.DONE
    request.processed_at = now or utcnow()
    request.processed_by_id = actor.id
    record(CORRECTION_PROCESSED, request, actor=actor)
    db.session.flush()


def process(request: PrivacyRequest, actor: User | None) -> None:
    """Carry out a request of any kind (the queue's button, the CLI)."""
    if request.kind == RequestKind.CORRECTION:
        if actor is None:
            raise ServiceError(_l("A certificate is re-issued by an organiser, from the requests page."))
        process_correction(request, actor)
    else:
        process_deletion(request, actor)


def process_deletion(request: PrivacyRequest, actor: User | None, now: datetime | None = None) -> None:
    """Carry out a deletion request: de-identify the person everywhere, close the
    request, and tell them at the address they had (that email is the last)."""
    if not request.is_open:
        raise ServiceError(_l("This request has already been carried out."))
    user = db.session.get(User, request.user_id)
    locale = user.locale
    request.reason = ""
    email = deidentify(user, BY_REQUEST, actor=actor)
    now = now or utcnow()
    # the person's other open requests (a correction) end with them
    for other in db.session.scalars(
        select(PrivacyRequest).where(
            PrivacyRequest.user_id == user.id, PrivacyRequest.status == RequestStatus.OPEN
        )
    ):
        other.status, other.processed_at = RequestStatus.DONE, now
    request.status = RequestStatus.DONE
    request.processed_at = now
    request.processed_by_id = actor.id if actor is not None else None
    record(DELETION_PROCESSED, request, actor=actor)
    if not is_placeholder_email(email):  # not already de-identified (retention, a restore)
        notify.deletion_done(user.id, email, locale)
    db.session.flush()


def set_keep_account(user: User, keep: bool) -> None:
    """The learner's choice to keep their account beyond the retention period."""
    user.keep_account = keep
    db.session.flush()


@dataclass(frozen=True)
class QueueRow:
    request: PrivacyRequest
    days_left: int  # negative: overdue by that many days
    overdue: bool


def days_left(request: PrivacyRequest, now: datetime | None = None) -> int:
    """Whole days before the deadline (a part of a day counts as a day left); negative:
    whole days past it (at least one once it has passed)."""
    remaining = (request.due_at - (now or utcnow())).total_seconds() / 86400
    return math.ceil(remaining) if remaining >= 0 else -max(1, math.floor(-remaining))


def requests_in(state: str, now: datetime | None = None, limit: int = 200) -> list[QueueRow]:
    """The queue: ``open`` (oldest deadline first), ``overdue`` (open and past their
    deadline) or ``done`` (latest first)."""
    now = now or utcnow()
    query = select(PrivacyRequest).options(selectinload(PrivacyRequest.user))
    if state == "done":
        query = query.where(PrivacyRequest.status == RequestStatus.DONE).order_by(
            PrivacyRequest.processed_at.desc()
        )
    else:
        query = query.where(PrivacyRequest.status == RequestStatus.OPEN).order_by(
            PrivacyRequest.due_at, PrivacyRequest.id
        )
        if state == "overdue":
            query = query.where(PrivacyRequest.due_at < now)
    rows = db.session.scalars(query.limit(limit)).all()
    return [QueueRow(row, days_left(row, now), row.is_open and row.due_at < now) for row in rows]


def queue_counts(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    is_open = PrivacyRequest.status == RequestStatus.OPEN
    row = db.session.execute(
        select(
            func.count().filter(is_open),
            func.count().filter(is_open, PrivacyRequest.due_at < now),
            func.count().filter(PrivacyRequest.status == RequestStatus.DONE),
        ).select_from(PrivacyRequest)
    ).one()
    return {"open": row[0], "overdue": row[1], "done": row[2]}
