"""Helpers for pages that start a background job: press the button, let a worker run
it (the real Huey task, executed in this process), download the file."""

from __future__ import annotations

import contextvars
import re
from dataclasses import dataclass

from flask import has_app_context
from werkzeug.http import parse_options_header

from lms.extensions import db
from lms.jobs.queue import running_for
from lms.jobs.worker import run_pending

JOB_PAGE = re.compile(r"/organise/jobs/(\d+)$")


def run_jobs(app) -> int:
    """Do what a job worker does: run every task waiting in the queue, each in the
    app's context as a worker would (not the test's session). Returns how many ran."""
    if has_app_context() and db.session.registry.has():
        db.session.commit()  # what the test added is there for the worker; the write lock is free
    with running_for(app):  # not the last app another test created in this process
        return contextvars.Context().run(run_pending)


def start_job(client, path: str, data: dict | None = None) -> int:
    """Press a button that starts a job (a POST with CSRF); the id of the job shown."""
    response = client.submit(path, data or {}, follow_redirects=False)
    assert response.status_code == 302, (path, response.status_code)
    match = JOB_PAGE.search(response.headers["Location"])
    assert match, f"{path} led to {response.headers['Location']}, not a job page"
    return int(match.group(1))


@dataclass
class Download:
    data: bytes
    mimetype: str
    filename: str
    headers: dict

    def get_data(self) -> bytes:
        return self.data


def job_download(app, client, path: str, data: dict | None = None) -> Download:
    """Start the job at ``path``, check its page shows it waiting, run it, check its page
    says it is ready, and return what the download sends (status 200)."""
    job_id = start_job(client, path, data)
    waiting = client.get(f"/organise/jobs/{job_id}")
    assert waiting.status_code == 200
    assert 'http-equiv="refresh"' in waiting.get_data(as_text=True)
    assert run_jobs(app) >= 1
    ready = client.get(f"/organise/jobs/{job_id}")
    assert 'http-equiv="refresh"' not in ready.get_data(as_text=True)
    assert f"/organise/jobs/{job_id}/download" in ready.get_data(as_text=True)
    with client.get(f"/organise/jobs/{job_id}/download") as response:
        assert response.status_code == 200, response.status_code
        disposition = parse_options_header(response.headers["Content-Disposition"])
        assert disposition[0] == "attachment"
        return Download(
            response.get_data(), response.mimetype, disposition[1]["filename"], dict(response.headers)
        )
