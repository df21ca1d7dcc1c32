"""The certificates' long work, done by job workers for an organiser who watches it on
the job page: every valid certificate of an edition as one ZIP (rendering them the
first time takes half a minute for a large edition), and issuing every missing
certificate. ``create_app`` registers ``JOB_KINDS``; the CLI does the same work
synchronously through the services."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from lms.accounts.models import User
from lms.catalogue.models import Course
from lms.certificates import services
from lms.consent.exports import log_personal_data_export
from lms.db import utcnow
from lms.extensions import db
from lms.i18n import format_number
from lms.jobs.tracking import EDITION_GONE, ClaimedJob, JobKind, JobRefused, Produced, Progress

ZIP = "certificates_zip"
ISSUE = "certificates_issue"
# Learners checked (and certificates issued) per transaction: short write transactions,
# so pages keep answering while a job issues thousands of certificates.
ISSUE_BATCH = 50


def _course(job: ClaimedJob) -> Course:
    course = db.session.get(Course, job.course_id) if job.course_id is not None else None
    if course is None:
        raise JobRefused(EDITION_GONE)
    return course


def zip_filename(course: Course) -> str:
    return f"certificates-{course.slug}-{utcnow():%Y-%m-%d}.zip"


def make_zip(job: ClaimedJob, progress: Progress) -> Produced:
    course = _course(job)
    count = services.write_zip_of_course(course, job.output, on_progress=progress)
    # The read transaction ends first: progress was written meanwhile, so SQLite could
    # not turn this one into a write.
    db.session.commit()
    log_personal_data_export(zip_filename(course), count, actor_id=job.requested_by_id, course_id=course.id)
    return Produced(zip_filename(course), "application/zip", {"certificates": count})


def issue_missing(job: ClaimedJob, progress: Progress) -> Produced:
    course = _course(job)
    learner_ids = services.registered_learner_ids(course)
    db.session.commit()
    total = len(learner_ids)
    progress(0, total)
    issued = held = 0
    for start in range(0, total, ISSUE_BATCH):
        batch = learner_ids[start : start + ISSUE_BATCH]
        actor = db.session.get(User, job.requested_by_id)
        now_issued, now_held = services.issue_missing(_course(job), batch, actor)
        db.session.commit()  # the batch's certificates, their audit events and emails
        issued, held = issued + now_issued, held + now_held
        progress(start + len(batch), total)
    services.record_issued(_course(job), db.session.get(User, job.requested_by_id), issued)
    return Produced(outcome={"issued": issued, "held": held})


def _issued_summary(outcome: dict) -> str:
    return _(
        "%(issued)s certificates issued; %(held)s learners already had one.",
        issued=format_number(outcome.get("issued", 0)),
        held=format_number(outcome.get("held", 0)),
    )


def _zip_summary(outcome: dict) -> str:
    count = outcome.get("certificates", 0)
    return ngettext(
        "%(count)s valid certificate in the file.",
        "%(count)s valid certificates in the file.",
        count,
        count=format_number(count),
    )


# The same in every language (PDFs in both), so a press in either leads to the same job.
JOB_KINDS = {
    ZIP: JobKind(
        ZIP,
        make_zip,
        lambda params: _("Every valid certificate as one ZIP file"),
        _zip_summary,
        localised=False,
    ),
    ISSUE: JobKind(
        ISSUE,
        issue_missing,
        lambda params: _("Issuing the missing certificates"),
        _issued_summary,
        writes=True,
        localised=False,
    ),
}
