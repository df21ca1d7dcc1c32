"""Organisers' long work as background jobs: started by a button, run by the real queue
task (executed in this process), watched on a page that refreshes itself, downloaded
when ready, taken over when a worker dies, run once however many workers race for it,
failed with a clear message, and removed after a day."""

from __future__ import annotations

import contextvars
import io
import os
import threading
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from flask import has_app_context
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from lms.audit.models import AuditEvent
from lms.catalogue.models import CourseStatus
from lms.certificates import jobs as certificate_jobs
from lms.certificates.models import Certificate
from lms.certificates.services import display_code
from lms.db import utcnow
from lms.extensions import db as database
from lms.jobs import tracking
from lms.jobs.models import BackgroundJob, JobStatus
from lms.mail.models import OutboxMessage
from lms.reports.jobs import write_tables
from lms.spreadsheets import Table
from tests.certificates.test_issue import complete
from tests.certificates.test_pages import pdf_text
from tests.completion.test_progress import setup_course
from tests.factories import BackgroundJobFactory, UserFactory, hold
from tests.helpers import page_text
from tests.jobs.background import job_download, run_jobs, start_job
from tests.jobs.conftest import STEPS

ZIP_PATH = "/organise/courses/eip-jobs/certificates.zip"


def job(job_id: int) -> BackgroundJob:
    database.session.expire_all()
    row = database.session.get(BackgroundJob, job_id)
    database.session.commit()  # no transaction left open for the worker to wait behind
    return row


def jobs_count() -> int:
    count = database.session.scalar(select(func.count()).select_from(BackgroundJob))
    database.session.commit()
    return count


def in_app(app, function, *args, **kwargs):
    """Run ``function`` as a worker would: in the app's context, not the test's (whose
    transaction is committed first, so it holds no lock the worker would wait for)."""
    if has_app_context():
        database.session.commit()

    def call():
        with app.app_context():
            try:
                return function(*args, **kwargs)
            finally:
                database.session.remove()

    return contextvars.Context().run(call)


def start_steps(app, user_id: int, **params) -> int:
    """A job of the tests' kind, started as a request would (its wake-up queued after the commit)."""

    def start():
        user = database.session.get(UserFactory._meta.model, user_id)
        row, _ = tracking.start_job(STEPS, user, params=params, locale="en")
        database.session.commit()
        return row.id

    return in_app(app, start)


def sweep(app) -> tracking.SweepReport:
    return in_app(app, tracking.sweep)


def result_files(app) -> list[str]:
    folder = Path(app.instance_path) / tracking.RESULTS_FOLDER
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


# -- starting, watching, downloading ---------------------------------------------------------


def test_the_zip_of_certificates_is_a_job_whose_page_shows_progress_then_the_download(
    app, organiser_client, edition
):
    job_id = start_job(organiser_client, ZIP_PATH + "?lang=en")
    queued = job(job_id)
    assert (queued.status, queued.kind, queued.course_id) == ("queued", "certificates_zip", edition.course.id)
    assert queued.requested_by_id == edition.organiser.id and queued.locale == "en"

    page = page_text(organiser_client.get(f"/organise/jobs/{job_id}?lang=en"))
    assert "Every valid certificate as one ZIP file" in page and "Waiting to start" in page
    # refreshes itself, to its own address (a ?lang= there would save the preference every time)
    assert f'<meta http-equiv="refresh" content="2; url=/organise/jobs/{job_id}">' in page
    assert "<script" not in page and f"/organise/jobs/{job_id}/download" not in page
    assert f"/organise/jobs/{job_id}" in page_text(organiser_client.get("/organise/jobs?lang=en"))
    # the download is not there yet: back to the page that says how far it is
    early = organiser_client.get(f"/organise/jobs/{job_id}/download")
    assert early.status_code == 302 and early.headers["Location"].endswith(f"/organise/jobs/{job_id}")

    assert run_jobs(app) == 1  # the real queue task, as a worker runs it
    done = job(job_id)
    assert done.status == "done" and (done.progress_done, done.progress_total) == (3, 3)
    assert done.attempts == 1 and done.expires_at - done.finished_at == timedelta(hours=24)
    page = page_text(organiser_client.get(f"/organise/jobs/{job_id}?lang=en"))
    assert "Ready" in page and "3 valid certificates in the file." in page and "http-equiv" not in page
    with organiser_client.get(f"/organise/jobs/{job_id}/download") as response:
        assert response.status_code == 200 and response.mimetype == "application/zip"
        assert response.headers["Cache-Control"] == "private, no-store"
        archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    assert len(names) == 3 and all(name.endswith(".pdf") for name in names)
    assert [name.rsplit("-", 1)[0] for name in names] == [
        "Nguyễn-Thị-Hồng-Hạnh",
        "Trần-Văn-An",
        "Đặng-Quốc-Bảo",
    ]
    for certificate in edition.certificates:
        [name] = [name for name in names if name.endswith(f"-{certificate.code[:8]}.pdf")]
        text = pdf_text(archive.read(name))
        assert certificate.learner_name in text and display_code(certificate.code) in text
    assert result_files(app) == [Path(done.result_path).name]  # no temporary file left behind


def test_the_page_speaks_vietnamese_too(app, organiser_client, edition):
    job_id = start_job(organiser_client, ZIP_PATH)
    page = page_text(organiser_client.get(f"/organise/jobs/{job_id}?lang=vi"))
    assert "Đang chờ bắt đầu" in page
    run_jobs(app)
    page = page_text(organiser_client.get(f"/organise/jobs/{job_id}?lang=vi"))
    assert "Sẵn sàng" in page and "Tải về" in page


def test_pressing_the_button_again_leads_to_the_job_on_its_way(app, organiser_client, edition):
    first = start_job(organiser_client, ZIP_PATH)
    again = organiser_client.submit(ZIP_PATH + "?lang=en", {})
    assert again.request.path == f"/organise/jobs/{first}"
    assert "already started and is on its way" in page_text(again)
    other = UserFactory(email="lan@example.org", roles=["organiser"])
    database.session.commit()
    organiser_client.post("/account/logout", data={"csrf_token": organiser_client.csrf_token()})
    organiser_client.sign_in(other.email)
    assert start_job(organiser_client, ZIP_PATH) == first  # a second organiser too
    assert jobs_count() == 1
    run_jobs(app)
    assert job(first).status == "done"
    assert start_job(organiser_client, ZIP_PATH) != first  # finished: a new press makes a fresh file
    assert jobs_count() == 2


def test_an_xlsx_export_downloads_as_a_real_workbook(app, organiser_client, edition):
    response = job_download(
        app, organiser_client, "/organise/courses/eip-jobs/exports/attendance-wide.xlsx?lang=en"
    )
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["Full name", "Email", "Organisation"] and rows[1:] == []  # nobody registered


def test_progress_is_written_as_the_work_goes_and_extends_the_lease(
    app, organiser_client, edition, steps, monkeypatch
):
    monkeypatch.setattr(tracking, "PROGRESS_INTERVAL", 0)
    job_id = start_steps(app, edition.organiser.id, steps=4)
    started = utcnow()
    assert run_jobs(app) == 1
    assert [(done, total) for done, total, _ in steps.seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    leases = [until for *_, until in steps.seen]
    assert leases == sorted(leases) and leases[0] >= started + timedelta(seconds=100)
    finished = job(job_id)
    assert finished.status == "done" and finished.outcome == {"steps": 4}
    assert finished.claim_token is None and finished.claimed_until is None
    assert (
        finished.has_file
        and (Path(app.instance_path) / finished.result_path).read_bytes().count(b"step") == 4
    )


def test_progress_is_not_written_more_often_than_needed(app, edition, steps):
    """Each write is a transaction: by default at most every half second, and at the end."""
    start_steps(app, edition.organiser.id, steps=50)
    run_jobs(app)
    assert steps.seen[-1][:2] == (50, 50)
    assert len({done for done, *_ in steps.seen}) < 10  # what another connection saw changed a few times


def test_writing_tables_reports_rows_as_they_are_written():
    rows = [[f"Người {index}", index] for index in range(1234)]
    reports: list[tuple[int, int]] = []
    stream = io.BytesIO()
    write_tables(
        [Table("Learners", ["Name", "Number"], rows)],
        "xlsx",
        stream,
        lambda d, t=None: reports.append((d, t)),
    )
    assert reports == [(0, 1234), (500, 1234), (1000, 1234), (1234, 1234)]
    sheet = load_workbook(io.BytesIO(stream.getvalue())).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [["Name", "Number"], *rows]


# -- issuing every missing certificate --------------------------------------------------------


def test_issuing_every_missing_certificate_is_a_job_in_short_transactions(app, client, db, monkeypatch):
    course, learner, organiser = setup_course(db)
    course.status = CourseStatus.DRAFT  # nothing is issued automatically
    db.session.commit()
    complete(db, course, learner, organiser)
    others = [UserFactory(full_name=f"Lê Văn {index}") for index in range(3)]
    for other in others:
        hold(other, course.modules[0].runs[1])
    course.status = CourseStatus.PUBLISHED
    db.session.commit()
    monkeypatch.setattr(certificate_jobs, "ISSUE_BATCH", 2)

    client.sign_in(organiser.email)
    job_id = start_job(client, f"/organise/courses/{course.slug}/certificates/issue?lang=en")
    assert (
        db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    )  # nothing yet, in the request
    db.session.commit()
    assert run_jobs(app) >= 1
    finished = job(job_id)
    assert finished.status == "done" and finished.outcome == {"issued": 1, "held": 0}
    assert (finished.progress_done, finished.progress_total) == (4, 4) and not finished.has_file
    page = page_text(client.get(f"/organise/jobs/{job_id}?lang=en"))
    assert "1 certificates issued; 0 learners already had one." in page and "/download" not in page
    assert '<h2 id="job-state" class="h3">Done</h2>' in page  # no file to be "ready"
    assert finished.expires_at is None  # nothing to remove a day later: it stays done
    assert client.get(f"/organise/jobs/{job_id}/download").status_code == 302
    certificate = db.session.scalar(select(Certificate))
    assert certificate.user_id == learner.id and certificate.issued_by_id == organiser.id
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "edition.certificates_issued")
    ).all()
    assert [event.details["issued"] for event in events] == [1]
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "certificate_issued")
        )
        == 1
    )
    # again: nothing more to issue
    again = start_job(client, f"/organise/courses/{course.slug}/certificates/issue")
    run_jobs(app)
    assert job(again).outcome == {"issued": 0, "held": 1}


def test_the_cli_still_writes_the_zip_and_issues_synchronously(app, db, edition, tmp_path):
    target = tmp_path / "all.zip"
    result = app.test_cli_runner().invoke(args=["lms", "certificates", "zip", "eip-jobs", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "wrote 3 certificate(s)" in result.output
    assert len(zipfile.ZipFile(target).namelist()) == 3
    assert jobs_count() == 0


# -- a worker that died, workers that race ---------------------------------------------------


def test_a_job_whose_worker_died_is_taken_over_by_the_sweep_and_finishes_once(app, organiser_client, edition):
    now = utcnow()
    dead = BackgroundJobFactory(
        kind="certificates_zip", course_id=edition.course.id, requested_by_id=edition.organiser.id,
        status=JobStatus.RUNNING, claim_token="a-worker-killed-mid-job", claimed_until=now - timedelta(seconds=5),
        attempts=1, started_at=now - timedelta(minutes=3), progress_done=1, progress_total=3,
    )  # fmt: skip
    alive = BackgroundJobFactory(
        kind="certificates_zip", course_id=edition.course.id, requested_by_id=edition.organiser.id,
        status=JobStatus.RUNNING, claim_token="a-worker-still-at-it", claimed_until=now + timedelta(minutes=1),
        attempts=1, params={"other": True},
    )  # fmt: skip
    lost = BackgroundJobFactory(  # queued, but its wake-up never reached the queue
        kind="certificates_zip",
        course_id=edition.course.id,
        requested_by_id=edition.organiser.id,
        params={"lost": 1},
    )
    database.session.commit()
    assert run_jobs(app) == 0  # nothing on the queue: only the sweep finds them
    assert "Under way" in page_text(organiser_client.get(f"/organise/jobs/{dead.id}?lang=en"))

    assert sweep(app).woken == 2
    assert run_jobs(app) == 2
    taken_over, waited = job(dead.id), job(lost.id)
    assert taken_over.status == "done" and taken_over.attempts == 2 and taken_over.progress_done == 3
    assert waited.status == "done" and waited.attempts == 1
    still = job(alive.id)
    assert still.status == "running" and still.claim_token == "a-worker-still-at-it"  # left alone

    # the sweep and stray wake-ups later change nothing: each job ran once
    finished_at = taken_over.finished_at
    assert sweep(app).woken == 0
    in_app(app, tracking.run_job, dead.id)
    assert job(dead.id).finished_at == finished_at and job(dead.id).attempts == 2
    with organiser_client.get(f"/organise/jobs/{dead.id}/download") as response:
        assert len(zipfile.ZipFile(io.BytesIO(response.get_data())).namelist()) == 3


def test_the_dead_workers_late_writes_are_refused(app, edition, steps, monkeypatch):
    """A worker that only seemed dead (its lease ran out) finds the job taken when it
    reports progress: it stops, and its file is never recorded."""
    monkeypatch.setattr(tracking, "PROGRESS_INTERVAL", 0)
    job_id = start_steps(app, edition.organiser.id, steps=2)
    slow = in_app(app, tracking.claim, job_id)
    assert slow is not None
    database.session.execute(
        update(BackgroundJob).where(BackgroundJob.id == job_id).values(claimed_until=utcnow() - timedelta(seconds=1))
    )  # fmt: skip
    database.session.commit()
    assert in_app(app, tracking.run_job, job_id) == "done"  # another worker took it over
    progress = tracking.Progress(slow)
    with pytest.raises(tracking.ClaimLost):
        in_app(app, progress, 1, 2)
    assert in_app(app, tracking._update, slow, status=JobStatus.FAILED) is False
    assert job(job_id).status == "done" and job(job_id).attempts == 2


def test_two_workers_racing_for_the_same_job_run_it_once(app, edition, steps):
    job_id = start_steps(app, edition.organiser.id, steps=2, sleep=0.2)
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        results.append(in_app(app, tracking.run_job, job_id))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results, key=str) == [None, "done"]  # one ran it; the other found it taken
    assert steps.runs == [job_id]
    finished = job(job_id)
    assert finished.attempts == 1 and finished.status == "done"
    assert result_files(app) == [Path(finished.result_path).name]


def test_duplicate_wake_ups_run_the_job_once(app, edition, steps):
    job_id = start_steps(app, edition.organiser.id)
    in_app(app, lambda: tracking.enqueue(tracking.run_background_job, job_id))
    sweep(app)  # and a third, from the sweep
    assert run_jobs(app) == 3
    assert steps.runs == [job_id] and job(job_id).attempts == 1


# -- failures ---------------------------------------------------------------------------------


@pytest.mark.config(JOB_RETRY_DELAYS=[0, 0])
def test_an_unexpected_error_is_tried_again_then_shown_clearly(app, organiser_client, edition, steps, caplog):
    job_id = start_steps(app, edition.organiser.id, fail="unexpected")
    run_jobs(app)
    retrying = job(job_id)
    assert retrying.status == "queued" and retrying.attempts == 1 and retrying.error == ""
    assert "A try did not succeed" in page_text(organiser_client.get(f"/organise/jobs/{job_id}?lang=en"))
    for _ in range(2):  # the sweep wakes the retries
        assert sweep(app).woken == 1
        run_jobs(app)
    failed = job(job_id)
    assert failed.status == "failed" and failed.attempts == 3 and failed.error == tracking.UNEXPECTED_FAILURE
    assert sweep(app).woken == 0 and steps.runs == [job_id] * 3
    assert "the disk is full" in caplog.text  # the details are in the log, not on the page
    page = page_text(organiser_client.get(f"/organise/jobs/{job_id}?lang=en"))
    assert "It did not work" in page and "trying again did not help" in page and "disk" not in page
    assert "http-equiv" not in page and "Start it again" in page
    page = page_text(organiser_client.get(f"/organise/jobs/{job_id}?lang=vi"))
    assert "Không thực hiện được" in page and "thử lại cũng không được" in page
    download = organiser_client.get(f"/organise/jobs/{job_id}/download")
    assert download.status_code == 302 and download.headers["Location"].endswith(f"/organise/jobs/{job_id}")
    assert result_files(app) == []


def test_work_that_cannot_be_done_fails_at_once_with_its_reason(app, organiser_client, edition):
    organiser_id, course_id = edition.organiser.id, edition.course.id

    def start():
        user = database.session.get(UserFactory._meta.model, organiser_id)
        row, _ = tracking.start_job("report_export", user, course_id=course_id,
                                    params={"name": "payroll", "format": "csv"})  # fmt: skip
        database.session.commit()
        return row.id

    job_id = in_app(app, start)
    run_jobs(app)
    failed = job(job_id)
    assert failed.status == "failed" and failed.attempts == 1
    assert "This export no longer exists." in page_text(
        organiser_client.get(f"/organise/jobs/{job_id}?lang=en")
    )
    assert "Bản xuất dữ liệu này không còn nữa." in page_text(
        organiser_client.get(f"/organise/jobs/{job_id}?lang=vi")
    )


# -- a day later ------------------------------------------------------------------------------


def test_results_are_removed_after_a_day_and_the_download_says_so(app, organiser_client, edition):
    job_id = start_job(organiser_client, ZIP_PATH)
    run_jobs(app)
    done = job(job_id)
    path = Path(app.instance_path) / done.result_path
    assert path.is_file()
    assert sweep(app).expired == 0  # not yet
    database.session.get(BackgroundJob, job_id).expires_at = utcnow() - timedelta(seconds=1)
    database.session.commit()

    assert sweep(app).expired == 1
    expired = job(job_id)
    assert expired.status == "expired" and expired.result_path is None and not path.exists()
    assert expired.finished_at == done.finished_at  # the row stays, as history
    response = organiser_client.get(f"/organise/jobs/{job_id}/download?lang=en")
    assert response.status_code == 410
    assert "The file was removed" in page_text(response) and "Start it again" in page_text(response)
    assert sweep(app).expired == 0

    again = organiser_client.submit(f"/organise/jobs/{job_id}/again", {}, follow_redirects=False)
    new_id = int(again.headers["Location"].rsplit("/", 1)[1])
    assert new_id != job_id and job(new_id).status == "queued" and job(new_id).kind == "certificates_zip"


def test_the_sweep_removes_files_nobody_points_to(app, edition):
    folder = Path(app.instance_path) / tracking.RESULTS_FOLDER
    folder.mkdir(parents=True)
    old, fresh = folder / ".incoming-abandoned", folder / "99-orphan.zip"
    old.write_bytes(b"half a file")
    fresh.write_bytes(b"PK")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    assert sweep(app).strays == 1
    assert not old.exists() and fresh.exists()  # a file being written right now is left alone


# -- who may see it ---------------------------------------------------------------------------


def test_only_organisers_see_a_job_and_download_its_file(app, client, db, edition):
    job_id = start_job_as(app, client, edition.organiser.email)
    run_jobs(app)
    pages = [f"/organise/jobs/{job_id}", f"/organise/jobs/{job_id}/download", "/organise/jobs"]
    learner = UserFactory(email="hoa@example.org")
    trainer = UserFactory(email="trainer@example.org", roles=["trainer"])
    edition.course.modules[0].runs[0].trainers.append(trainer)
    db.session.commit()
    for path in pages:
        response = client.get(path)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    for email in (learner.email, trainer.email):
        client.sign_in(email)
        for path in pages:
            assert client.get(path).status_code == 403, (email, path)
        assert client.submit(f"/organise/jobs/{job_id}/again", {}, follow_redirects=False).status_code == 403
        client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    assert jobs_count() == 1

    # another organiser sees the editions' jobs (organisers see every edition) ...
    UserFactory(email="lan@example.org", roles=["organiser"])
    private = BackgroundJobFactory(kind=STEPS, requested_by_id=edition.organiser.id, status=JobStatus.DONE)
    db.session.commit()
    client.sign_in("lan@example.org")
    assert client.get(f"/organise/jobs/{job_id}").status_code == 200
    with client.get(f"/organise/jobs/{job_id}/download") as response:
        assert response.status_code == 200
    # ... but not a job of no edition, nor one that does not exist; their own list is theirs
    assert client.get(f"/organise/jobs/{private.id}").status_code == 404
    assert client.get(f"/organise/jobs/{private.id}/download").status_code == 404
    assert client.get("/organise/jobs/999999").status_code == 404
    assert f"/organise/jobs/{job_id}" not in page_text(client.get("/organise/jobs"))


def start_job_as(app, client, email: str) -> int:
    client.sign_in(email)
    job_id = start_job(client, ZIP_PATH)
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    return job_id


def test_a_failing_queue_never_turns_the_press_into_an_error(app, organiser_client, edition, monkeypatch):
    """The row is committed; the wake-up is lost; the sweep finds the job a minute later."""

    def broken(*args, **kwargs):
        raise OSError("the queue's disk is gone")

    monkeypatch.setattr(tracking.run_background_job, "huey", type("Broken", (), {"enqueue": broken})())
    job_id = start_job(organiser_client, ZIP_PATH)
    assert job(job_id).status == "queued"
    monkeypatch.undo()
    assert run_jobs(app) == 0
    assert sweep(app).woken == 1 and run_jobs(app) == 1
    assert job(job_id).status == "done"


def test_the_same_export_in_another_language_is_another_job(app, organiser_client, edition):
    """An export's headers are in the language of whoever pressed: vi and en are two files."""
    path = "/organise/courses/eip-jobs/exports/attendance.csv"
    vietnamese = start_job(organiser_client, path + "?lang=vi")
    english = start_job(organiser_client, path + "?lang=en")
    assert english != vietnamese
    assert start_job(organiser_client, path + "?lang=vi") == vietnamese
    assert (job(vietnamese).locale, job(english).locale) == ("vi", "en")
