"""The learner's copy of their data: one ZIP prepared by a job worker (a tracked job of
``lms.jobs.tracking``, started by the learner), holding a summary page to read, the
records of every declared holder as JSON (lms.personal_data) and their certificates'
PDFs. The learner is emailed a link that only they, signed in, can open; the file is
removed when the job's result expires (``LMS_JOB_RESULT_HOURS``)."""

from __future__ import annotations

import json
import zipfile

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.certificates.services import pdf_of
from lms.db import utcnow, write_intent
from lms.extensions import db
from lms.jobs.models import BackgroundJob, JobStatus
from lms.jobs.tracking import N_, ClaimedJob, JobKind, JobRefused, Produced, Progress, start_job
from lms.personal_data import declared_personal_data
from lms.privacy import notify

KIND = "privacy_data"
ACCOUNT_GONE = N_("The account this copy was asked for no longer exists.")


def start_download(user: User) -> tuple[BackgroundJob, bool]:
    """Record the learner's request (their language is the summary's); a worker makes it."""
    return start_job(KIND, user, params={"user_id": user.id}, locale=user.locale)


def collect(user_id: int) -> dict[str, list[dict]]:
    """Every declared kind of record about the person, by its key."""
    return {declaration.key: declaration.export(user_id) for declaration in declared_personal_data()}


def write_zip(user: User, stream, progress: Progress | None = None) -> int:
    records = collect(user.id)
    certificates = list(
        db.session.scalars(select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id))
    )
    labels = {declaration.key: str(declaration.label) for declaration in declared_personal_data()}
    total = len(records) + len(certificates) + 1
    done = 0
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        summary = render_template("privacy/summary.html", user=user, records=records, labels=labels,
                                  certificates=certificates, made_at=utcnow())  # fmt: skip
        archive.writestr("summary.html", summary)
        archive.writestr("data.json", json.dumps(records, ensure_ascii=False, indent=2, sort_keys=True))
        for key, rows in records.items():
            archive.writestr(
                f"data/{key}.json", json.dumps(rows, ensure_ascii=False, indent=2, sort_keys=True)
            )
            done += 1
            if progress is not None:
                progress(done, total)
        for certificate in certificates:
            archive.writestr(f"certificates/{certificate.code}.pdf", pdf_of(certificate))
            done += 1
            if progress is not None:
                progress(done, total)
    return len(records)


def make_download(job: ClaimedJob, progress: Progress) -> Produced:
    user = db.session.get(User, job.params.get("user_id"))
    if user is None or user.id != job.requested_by_id or user.deidentified_at is not None:
        raise JobRefused(ACCOUNT_GONE)
    kinds = write_zip(user, job.output, progress)
    db.session.commit()  # the reading transaction ends; the email is a short write of its own
    with write_intent(True):
        notify.data_ready(db.session.get(User, job.requested_by_id), job.id)
        db.session.commit()
    return Produced(f"my-data-{utcnow():%Y-%m-%d}.zip", "application/zip", {"kinds": kinds})


def downloads_of(user: User, limit: int = 5) -> list[BackgroundJob]:
    return list(
        db.session.scalars(
            select(BackgroundJob)
            .where(BackgroundJob.kind == KIND, BackgroundJob.requested_by_id == user.id)
            .order_by(BackgroundJob.id.desc())
            .limit(limit)
        )
    )


def download_for(user, job_id: int) -> BackgroundJob | None:
    """The learner's own copy (None for anyone else: the page answers 404)."""
    job = db.session.get(BackgroundJob, job_id)
    if job is None or job.kind != KIND or not user.is_authenticated or job.requested_by_id != user.id:
        return None
    return job


def expire_downloads_of(user_id: int) -> list[str]:
    """Mark the person's copies expired; the files to remove (after the commit)."""
    paths = []
    for job in db.session.scalars(
        select(BackgroundJob).where(BackgroundJob.kind == KIND, BackgroundJob.requested_by_id == user_id)
    ):
        if job.result_path:
            paths.append(job.result_path)
        if job.status in (JobStatus.DONE, JobStatus.QUEUED, JobStatus.RUNNING):
            # a worker still making it loses its claim, so it keeps nothing it wrote
            job.status, job.claim_token = JobStatus.EXPIRED, None
        job.result_path = None
    db.session.flush()
    return paths


JOB_KINDS = {
    KIND: JobKind(KIND, make_download, lambda params: _("A copy of your personal data")),
}
