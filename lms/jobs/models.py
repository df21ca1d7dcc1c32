"""Background jobs an organiser starts and watches: a ZIP of certificates, a large export,
issuing every missing certificate.

A row is the work itself; the queue only carries a wake-up for it (``lms.jobs.tracking``
runs it). ``status`` moves queued → running → done, or failed; after a temporary error
it goes back to queued with ``run_after`` later; a done job's file is removed when
``expires_at`` passes and the row stays, expired, as history. ``claim_token`` and
``claimed_until`` are the lease of the worker running it, extended as it reports
progress: only the worker whose token the row carries may change it, and a worker that
died leaves a lease that expires, so the periodic sweep hands the job to another.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lms.caching.invalidation import writes_shown
from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class BackgroundJob(db.Model):
    __tablename__ = "background_job"
    __table_args__ = (
        Index("ix_background_job_status_run_after", "status", "run_after"),
        # One queued or running job per piece of work: pressing the button again (or a
        # second organiser pressing it) leads to the job already on its way.
        Index(
            "uq_background_job_one_active",
            "dedup_key",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What to do (e.g. "certificates_zip"): chooses the function of the registry.
    kind: Mapped[str] = mapped_column(String(60))
    # What the function needs, as JSON values (names and ids, never objects).
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # The language of the file (headers, labels): the organiser's when they started it.
    locale: Mapped[str] = mapped_column(String(10))
    # Identifies the work (kind, edition, params, language) among the active jobs.
    dedup_key: Mapped[str] = mapped_column(String(64))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None] = mapped_column()
    # The file made, relative to the instance folder; None before it is done and after
    # it expired. Written whole under a name of its own, then recorded here.
    result_path: Mapped[str | None] = mapped_column(String(255))
    result_size: Mapped[int | None] = mapped_column()
    download_name: Mapped[str] = mapped_column(String(255), default="")
    mimetype: Mapped[str] = mapped_column(String(120), default="")
    # What the work reports besides a file (e.g. how many certificates were issued).
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)
    # For the organiser: the English source of a translatable message, shown in the
    # reader's language. Technical details go to the log, not here.
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_done(self) -> bool:
        return self.status == JobStatus.DONE

    @property
    def has_file(self) -> bool:
        return self.is_done and self.result_path is not None

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))


# Job bookkeeping shows on no public page or feed. (lms.caching.invalidation)
for _quiet in (BackgroundJob,):
    writes_shown(_quiet.__table__, shown_in=())
