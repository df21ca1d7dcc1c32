"""``flask lms worker``: a Huey consumer that runs the jobs of this app."""

from __future__ import annotations

import logging
import os

from lms.jobs.queue import huey

log = logging.getLogger(__name__)

# Huey polls a SQLite queue; an idle worker backs off up to this many seconds, so a
# new email waits at most about this long before a worker picks it up.
MAX_POLL_DELAY = 1.0


def run_worker(threads: int = 2, periodic: bool = True, nice: int = 0) -> None:
    """Run jobs until interrupted (SIGINT finishes running jobs, SIGTERM stops at once),
    ``nice`` steps below the process's scheduling priority (0: as it is)."""
    lower_priority(nice)
    consumer = huey.create_consumer(
        workers=threads,
        worker_type="thread",
        periodic=periodic,
        initial_delay=0.05,
        backoff=1.5,
        max_delay=MAX_POLL_DELAY,
        check_worker_health=True,
    )
    log.info(
        "job worker: %d thread(s), periodic jobs %s, niceness %d",
        threads,
        "on" if periodic else "off",
        os.nice(0),
    )
    consumer.run()


def lower_priority(steps: int) -> int:
    """Lower this process's scheduling priority by ``steps`` (0 to 19; the operating
    system keeps a niceness at 19 at most); returns the niceness now. Nothing can raise
    it again without privileges, so only a worker process does this, never the web."""
    if not 0 <= steps <= 19:
        raise ValueError(f"a niceness increment from 0 to 19, not {steps}")
    return os.nice(steps)


def run_pending(limit: int = 1000) -> int:
    """Execute the tasks waiting in the queue in this process, one after the other;
    return how many ran. For tests and ``flask lms run-jobs``: the same tasks a worker
    runs, without its threads."""
    ran = 0
    while ran < limit:
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        ran += 1
    return ran
