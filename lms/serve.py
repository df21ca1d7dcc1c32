"""``flask lms serve``: the web server and a job worker as one command, for `make run`.

Production runs them separately (gunicorn for the web, ``flask lms worker`` on each
machine that runs jobs; see the README). Here the worker is a child process, started
first and stopped when the server stops, so one Ctrl-C ends both.
"""

from __future__ import annotations

import logging
import subprocess  # nosec B404 (starts our own worker command, no shell, fixed arguments)
import sys

from flask import current_app
from werkzeug.serving import run_simple

from lms.config import ROOT

log = logging.getLogger(__name__)


def serve_with_worker(host: str, port: int) -> None:
    worker = subprocess.Popen(  # nosec B603 (our own interpreter and command)
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "worker"], cwd=ROOT
    )
    log.info("job worker started (pid %d)", worker.pid)
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
