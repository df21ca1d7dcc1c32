"""A job worker can run at a lower scheduling priority than the web (LMS_WORKER_NICE),
so that during a registration surge web requests win the cores and email catches up
after; by default it runs as it is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lms.jobs.worker import lower_priority


def niceness(pid: int) -> int:
    """A process's niceness, from /proc (field 19 of its stat line)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


def test_a_worker_runs_at_the_niceness_it_is_given(job_workers):
    mine = os.nice(0)
    lowered = job_workers.start(WORKER_NICE=7)
    as_it_is = job_workers.start()
    assert niceness(lowered.process.pid) == min(mine + 7, 19)
    assert niceness(as_it_is.process.pid) == mine


def test_the_command_line_refuses_a_niceness_out_of_range(job_workers):
    result = job_workers.command("worker", "--nice", "20")
    assert result.returncode != 0 and "0<=x<=19" in result.stderr.replace(" ", "")


@pytest.mark.parametrize("steps", [-1, 20])
def test_a_niceness_step_out_of_range_is_refused(steps):
    with pytest.raises(ValueError, match="from 0 to 19"):
        lower_priority(steps)
