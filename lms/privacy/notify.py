"""Emails about the learner's data: their download is ready; their deletion is done."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from lms.accounts.notify import recipient_of
from lms.extensions import db
from lms.mail.kinds import Composition
from lms.mail.models import MailStatus, OutboxMessage
from lms.mail.outbox import queue_email
from lms.mail.personal_data import scrub
from lms.urls import external_url

DATA_READY = "privacy_data_ready"
DELETION_DONE = "privacy_deletion_done"


@dataclass(frozen=True)
class FormerAddress:
    """The recipient of the last email to a de-identified person: the address captured
    before it was erased (the account no longer has it)."""

    id: int
    email: str
    locale: str
    full_name: str = ""


def data_ready(user, job_id: int) -> None:
    queue_email(user, DATA_READY, job_id=job_id)


def build_data_ready(payload: dict) -> Composition:
    return Composition(
        recipient=recipient_of(payload),
        context={
            "link": external_url("privacy.download", job_id=payload["job_id"]),
            "hours": current_app.config["JOB_RESULT_HOURS"],
        },
    )


def deletion_done(user_id: int, email: str, locale: str) -> None:
    """Queued after the erasure; the address lives in this row until it is sent (then
    :func:`forget_sent_addresses` removes it)."""
    queue_email(FormerAddress(user_id, email, locale), DELETION_DONE, address=email, locale=locale)


def build_deletion_done(payload: dict) -> Composition:
    return Composition(recipient=FormerAddress(payload["user_id"], payload["address"], payload["locale"]))


def forget_sent_addresses() -> int:
    """Scrub the address from "deletion done" emails once they are sent or failed for good."""
    finished = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == DELETION_DONE,
            OutboxMessage.status.in_((MailStatus.SENT, MailStatus.FAILED)),
            OutboxMessage.raw.is_not(None) | (OutboxMessage.subject != ""),
        )
    ).all()
    for message in finished:
        scrub(message)
    db.session.flush()
    return len(finished)


MAIL_KINDS = {DATA_READY: build_data_ready, DELETION_DONE: build_deletion_done}
