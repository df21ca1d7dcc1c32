"""Long work an organiser starts from a page, run by a job worker, watched as it goes.

- A domain package declares its kinds of work in a ``JOB_KINDS`` mapping (name →
  :class:`JobKind`) and ``create_app`` registers them, as it does for email.
- A request calls :func:`start_job`: a :class:`~lms.jobs.models.BackgroundJob` row in
  its own transaction (flush only; the same work already queued or running is found
  instead of started twice), and after the commit a worker is woken with the row's id.
- The worker (:func:`run_job`) claims the row with one conditional UPDATE (queued, or
  running with an expired lease), runs the kind's function with a progress callback
  that records done/total in short commits of their own and extends the lease, writes
  the result to a file under a name of its own, and marks the row done. An unexpected
  error is retried after a pause a couple of times, then the job fails with a message
  for the organiser; the details go to the log.
- Every minute :func:`sweep` wakes queued jobs whose wake-up was lost and running jobs
  whose worker died (their lease expired), and removes results older than a day (the
  row stays, expired).

However many workers, wake-ups or sweeps there are, only the worker holding a job's
claim may change it or keep its file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.db import utcnow, write_intent
from lms.extensions import db
from lms.i18n import current_locale
from lms.jobs import queue
from lms.jobs.models import ACTIVE, BackgroundJob, JobStatus
from lms.jobs.queue import crontab, enqueue, enqueue_after_commit

log = logging.getLogger(__name__)

# The folder, under the instance folder, that holds the files jobs made.
RESULTS_FOLDER = "job-results"
# Progress is written at most this often (seconds), and always at the end.
PROGRESS_INTERVAL = 0.5
# A file in the results folder that no done job points to is removed after this long
# (what a worker killed between writing its file and recording it leaves behind).
STRAY_FILE_AGE = timedelta(days=1)


def N_(message: str) -> str:  # the name pybabel looks for
    """Mark an organiser-facing message for translation; it is stored in English and
    translated when shown (``gettext(job.error)``)."""
    return message


# Messages a job can end with (stored in ``BackgroundJob.error``).
UNEXPECTED_FAILURE = N_(
    "Something went wrong while preparing this, and trying again did not help. Please "
    "start it again; if it fails again, tell the platform's administrators."
)
UNKNOWN_KIND = N_("This kind of job can no longer be run. Please start it again from its page.")
EDITION_GONE = N_("The edition this job belongs to no longer exists.")


# -- the registry ------------------------------------------------------------------------


@dataclass
class ClaimedJob:
    """What a kind's function gets: the job's values (no ORM object outlives a
    transaction), and ``output``, the file it writes its result into."""

    id: int
    kind: str
    params: dict
    locale: str
    course_id: int | None
    requested_by_id: int
    attempts: int
    token: str
    output: BinaryIO | None = None


@dataclass
class Produced:
    """What a kind's function returns. Without a ``download_name`` the job leaves no
    file (issuing certificates); ``outcome`` holds figures for the job page."""

    download_name: str | None = None
    mimetype: str | None = None
    outcome: dict = field(default_factory=dict)


@dataclass(frozen=True)
class JobKind:
    """A kind of work. ``run(job, progress)`` does it (in the app, in the job's
    language) and returns :class:`Produced`; ``title(params)`` and ``summary(outcome)``
    say what it is and what it did, in the reader's language.

    A kind that only reads (``writes=False``) runs in one read transaction, so on SQLite
    it never holds the write lock; a kind that writes commits in batches itself and
    calls ``progress`` between them, never inside a transaction that wrote."""

    name: str
    run: Callable[[ClaimedJob, Progress], Produced]
    title: Callable[[dict], str]
    summary: Callable[[dict], str | None] = lambda outcome: None
    writes: bool = False
    # False when the result is the same in every language (a ZIP of PDFs): then a
    # press in another language still leads to the job on its way.
    localised: bool = True


class UnknownJobKind(LookupError):
    pass


class JobRefused(Exception):
    """The work cannot be done (what it is about is gone): the job fails at once, not
    retried. ``message`` is marked with :func:`N_` and shown translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ClaimLost(Exception):
    """Another worker holds the job now (this one's lease ran out): stop, keep nothing."""


_kinds: dict[str, JobKind] = {}


def register_job_kinds(kinds: Mapping[str, JobKind]) -> None:
    for name, kind in kinds.items():
        if _kinds.get(name, kind) is not kind:
            raise ValueError(f"job kind {name!r} is declared twice")
        _kinds[name] = kind


def kind_for(name: str) -> JobKind:
    try:
        return _kinds[name]
    except KeyError:
        raise UnknownJobKind(f"no job kind {name!r} is declared") from None


def declared_kinds() -> list[str]:
    return sorted(_kinds)


def title_of(job: BackgroundJob) -> str:
    kind = _kinds.get(job.kind)
    return kind.title(job.params) if kind is not None else job.kind


def summary_of(job: BackgroundJob) -> str | None:
    kind = _kinds.get(job.kind)
    return kind.summary(job.outcome) if kind is not None and job.outcome else None


# -- starting ----------------------------------------------------------------------------


def dedup_key(kind: str, course_id: int | None, params: dict, locale: str) -> str:
    text = json.dumps([kind, course_id, params, locale], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def active_job(key: str) -> BackgroundJob | None:
    return db.session.scalar(
        select(BackgroundJob).where(BackgroundJob.dedup_key == key, BackgroundJob.status.in_(ACTIVE))
    )


def start_job(
    kind: str, requested_by, *, course_id: int | None = None, params: dict | None = None,
    locale: str | None = None,
) -> tuple[BackgroundJob, bool]:  # fmt: skip
    """Record job ``kind`` in the current transaction; a worker is woken after the
    commit. Returns ``(job, True)``, or ``(the job already queued or running for the
    same work, False)``. An undeclared kind fails here, in the request."""
    declared = kind_for(kind)
    params = dict(params or {})
    locale = locale or current_locale()
    key = dedup_key(kind, course_id, params, locale if declared.localised else "")
    existing = active_job(key)
    if existing is not None:
        return existing, False
    row = BackgroundJob(
        kind=kind, params=params, locale=locale, dedup_key=key, course_id=course_id,
        requested_by_id=requested_by.id, status=JobStatus.QUEUED, created_at=utcnow(), run_after=utcnow(),
    )  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # started by someone else at the same moment: the partial unique index keeps it to one
        existing = active_job(key)
        if existing is None:
            raise
        return existing, False
    enqueue_after_commit(run_background_job, row.id)
    return row, True


# -- running -----------------------------------------------------------------------------


def lease() -> timedelta:
    return timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])


def retry_delays() -> list[int]:
    return current_app.config["JOB_RETRY_DELAYS"]


def results_folder() -> Path:
    return Path(current_app.instance_path) / RESULTS_FOLDER


def result_file(job: BackgroundJob) -> Path | None:
    """The job's file on disk, if it is done and the file is there."""
    if not job.has_file:
        return None
    path = Path(current_app.instance_path) / job.result_path
    return path if path.is_file() else None


def _claimable(now: datetime):
    return or_(
        and_(BackgroundJob.status == JobStatus.QUEUED, BackgroundJob.run_after <= now),
        and_(BackgroundJob.status == JobStatus.RUNNING, BackgroundJob.claimed_until < now),
    )


def claim(job_id: int, now: datetime | None = None) -> ClaimedJob | None:
    """Take the job for this worker, or None when it is not to be run (done, failed,
    waiting for its retry, or held by a live worker). The attempt is counted here."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    with write_intent(True):
        claimed = db.session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job_id, _claimable(now))
            .values(status=JobStatus.RUNNING, claim_token=token, claimed_until=now + lease(),
                    attempts=BackgroundJob.attempts + 1, started_at=now, progress_done=0, error="")
            .execution_options(synchronize_session=False)
        ).rowcount  # fmt: skip
        db.session.commit()
    if claimed != 1:
        return None
    with write_intent(False):
        row = db.session.execute(
            select(
                BackgroundJob.id, BackgroundJob.kind, BackgroundJob.params, BackgroundJob.locale,
                BackgroundJob.course_id, BackgroundJob.requested_by_id, BackgroundJob.attempts,
            ).where(BackgroundJob.id == job_id, BackgroundJob.claim_token == token)
        ).one_or_none()  # fmt: skip
        db.session.commit()
    return None if row is None else ClaimedJob(*row, token=token)


class Progress:
    """``progress(done, total)``: how far the work is, written in a short transaction
    of its own (another connection, so the work's transaction is left alone) at most
    every PROGRESS_INTERVAL seconds, and the lease extended each time. Raises
    :class:`ClaimLost` when the job is no longer this worker's."""

    def __init__(self, claimed: ClaimedJob, interval: float | None = None) -> None:
        self.claimed = claimed
        self.interval = PROGRESS_INTERVAL if interval is None else interval
        self.total: int | None = None
        self.done = 0
        self._written_at = float("-inf")

    def __call__(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        self.done = done
        moment = time.monotonic()
        if moment - self._written_at < self.interval and done != self.total:
            return
        self._written_at = moment
        self.write()

    def write(self) -> None:
        with write_intent(True), db.engine.begin() as connection:
            kept = connection.execute(
                update(BackgroundJob)
                .where(BackgroundJob.id == self.claimed.id, BackgroundJob.claim_token == self.claimed.token)
                .values(progress_done=self.done, progress_total=self.total, claimed_until=utcnow() + lease())
            ).rowcount
        if kept != 1:
            raise ClaimLost(f"job {self.claimed.id} is no longer held by this worker")


def _update(claimed: ClaimedJob, **values) -> bool:
    """Change the job only while this worker holds its claim; commit. False if it does not."""
    with write_intent(True):
        changed = db.session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == claimed.id, BackgroundJob.claim_token == claimed.token)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    return changed == 1


def run_job(job_id: int) -> str | None:
    """Claim job ``job_id`` and do it; the status it ended in, or None when this worker
    did not run it (someone else has it, or it is finished)."""
    claimed = claim(job_id)
    if claimed is None:
        return None
    kind = _kinds.get(claimed.kind)
    if kind is None:
        log.error("job %s: no kind %r is declared", claimed.id, claimed.kind)
        return _fail(claimed, UNKNOWN_KIND)
    folder = results_folder()
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    progress = Progress(claimed)
    try:
        with os.fdopen(handle, "w+b") as stream:
            claimed.output = stream
            with force_locale(claimed.locale), write_intent(kind.writes):
                produced = kind.run(claimed, progress)
                db.session.commit()
        if produced.download_name:
            final = folder / f"{claimed.id}-{claimed.token}{Path(produced.download_name).suffix}"
            os.replace(temporary, final)
        else:
            final = None
            Path(temporary).unlink(missing_ok=True)
    except ClaimLost:
        db.session.rollback()
        Path(temporary).unlink(missing_ok=True)
        log.warning("job %s: another worker took it over; this run's work is dropped", claimed.id)
        return None
    except JobRefused as refusal:
        db.session.rollback()
        Path(temporary).unlink(missing_ok=True)
        log.warning("job %s (%s) refused: %s", claimed.id, claimed.kind, refusal.message)
        return _fail(claimed, refusal.message)
    except Exception:  # a bug, the database or the disk: retried, then failed for good
        db.session.rollback()
        Path(temporary).unlink(missing_ok=True)
        log.exception("job %s (%s), attempt %d failed", claimed.id, claimed.kind, claimed.attempts)
        return _retry_or_fail(claimed)
    now = utcnow()
    done = _update(
        claimed, status=JobStatus.DONE, finished_at=now, claim_token=None, claimed_until=None,
        progress_done=progress.total if progress.total is not None else progress.done,
        progress_total=progress.total if progress.total is not None else progress.done,
        result_path=None if final is None else f"{RESULTS_FOLDER}/{final.name}",
        result_size=None if final is None else final.stat().st_size,
        download_name=produced.download_name or "", mimetype=produced.mimetype or "",
        outcome=produced.outcome,
        expires_at=None if final is None else now + timedelta(hours=current_app.config["JOB_RESULT_HOURS"]),
    )  # fmt: skip
    if not done:
        if final is not None:
            final.unlink(missing_ok=True)
        log.warning("job %s: finished after another worker took it over; result dropped", claimed.id)
        return None
    log.info("job %s (%s) done", claimed.id, claimed.kind)
    return JobStatus.DONE


def _fail(claimed: ClaimedJob, message: str) -> str | None:
    failed = _update(claimed, status=JobStatus.FAILED, error=message, finished_at=utcnow(),
                     claim_token=None, claimed_until=None)  # fmt: skip
    return JobStatus.FAILED if failed else None


def _retry_or_fail(claimed: ClaimedJob) -> str | None:
    delays = retry_delays()
    if claimed.attempts > len(delays):
        return _fail(claimed, UNEXPECTED_FAILURE)
    again = _update(
        claimed, status=JobStatus.QUEUED, claim_token=None, claimed_until=None,
        run_after=utcnow() + timedelta(seconds=delays[claimed.attempts - 1]),
    )  # fmt: skip
    return JobStatus.QUEUED if again else None


# -- the sweep ---------------------------------------------------------------------------


@dataclass
class SweepReport:
    woken: int = 0
    expired: int = 0
    strays: int = 0


def sweep(now: datetime | None = None) -> SweepReport:
    """Wake every job that is due and not held by a live worker, remove results that
    expired and files nobody points to. Safe to run twice at the same time."""
    now = now or utcnow()
    report = SweepReport()
    with write_intent(False):
        due = db.session.scalars(
            select(BackgroundJob.id).where(_claimable(now)).order_by(BackgroundJob.id)
        ).all()
        db.session.commit()
    for job_id in due:
        # a job whose wake-up is still in the queue gets a second one: the claim makes it a no-op
        if enqueue(run_background_job, job_id):
            report.woken += 1
    report.expired = expire_results(now)
    report.strays = remove_stray_files(now)
    return report


def expire_results(now: datetime | None = None) -> int:
    """Remove the file of every done job past ``expires_at``; the row stays, expired."""
    now = now or utcnow()
    with write_intent(False):
        due = db.session.execute(
            select(BackgroundJob.id, BackgroundJob.result_path).where(
                BackgroundJob.status == JobStatus.DONE, BackgroundJob.expires_at <= now
            )
        ).all()
        db.session.commit()
    expired = 0
    for job_id, path in due:
        with write_intent(True):
            changed = db.session.execute(
                update(BackgroundJob)
                .where(BackgroundJob.id == job_id, BackgroundJob.status == JobStatus.DONE)
                .values(status=JobStatus.EXPIRED, result_path=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.commit()
        if changed and path:  # after the commit: no row ever points to a removed file
            (Path(current_app.instance_path) / path).unlink(missing_ok=True)
            expired += 1
    return expired


def remove_stray_files(now: datetime | None = None) -> int:
    """Files in the results folder that no done job points to, older than a day: left
    by a worker killed while writing, or between writing and recording its file."""
    folder = results_folder()
    if not folder.is_dir():
        return 0
    cutoff = ((now or utcnow()) - STRAY_FILE_AGE).timestamp()
    with write_intent(False):
        kept = set(
            db.session.scalars(
                select(BackgroundJob.result_path).where(
                    BackgroundJob.status == JobStatus.DONE, BackgroundJob.result_path.is_not(None)
                )
            )
        )
        db.session.commit()
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and f"{RESULTS_FOLDER}/{path.name}" not in kept and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# -- the jobs on the queue ---------------------------------------------------------------


@queue.job()
def run_background_job(job_id: int) -> None:
    run_job(job_id)


@queue.periodic(crontab(minute="*"))
def sweep_background_jobs() -> None:
    sweep()


# -- for the pages -----------------------------------------------------------------------


def may_see(user, job: BackgroundJob) -> bool:
    """Organisers see the jobs of the editions they may see (every edition); a job of
    no edition only its requester."""
    if not user.is_authenticated or not user.has_role("organiser"):
        return False
    return job.course_id is not None or job.requested_by_id == user.id


def job_for(user, job_id: int) -> BackgroundJob | None:
    """The job, if ``user`` may see it (else None: the page answers 404)."""
    row = db.session.get(BackgroundJob, job_id)
    return row if row is not None and may_see(user, row) else None


def recent_jobs(user, limit: int = 30) -> list[BackgroundJob]:
    """The jobs ``user`` started, newest first."""
    return list(
        db.session.scalars(
            select(BackgroundJob)
            .where(BackgroundJob.requested_by_id == user.id)
            .order_by(BackgroundJob.created_at.desc(), BackgroundJob.id.desc())
            .limit(limit)
        )
    )
