"""What one sign-in and one registration cost the server, in CPU milliseconds, measured
in-process (Flask test client, one request at a time), so that the figure holds on a
machine shared with other work, where the burst's requests per second do not.

    .venv/bin/python -m benchmarks.registration_cost [--learners 60]

On a copy of the SQLite benchmark file (the 10,000-learner edition, benchmarks/generate.py)
with the burst's open edition and new learners (benchmarks/burst.py): each learner signs
in (GET the form, POST it), then registers (GET the registration form, POST a run per
module as the burst's clients choose them); then the job worker's part, building and
"sending" the confirmations to the mail folder. Printed per operation: CPU ms (process
time) and, for the registration POST, how long SQLite's write lock was held (from
BEGIN IMMEDIATE to COMMIT or ROLLBACK): the CPU spent meanwhile and the wall clock (on
a busy machine the wall clock mostly measures waiting for a core).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time

from benchmarks import serving
from benchmarks.burst import create_learners, create_open_edition, pick_runs
from benchmarks.generate import generate
from benchmarks.load import SLUG as BACKGROUND_SLUG

SLUG = "bench-cost"


class LockWatch:
    """Wall-clock time between SQLite's BEGIN IMMEDIATE and the end of that transaction."""

    def __init__(self) -> None:
        self.began: tuple[float, float] | None = None
        self.held: list[float] = []  # wall-clock seconds
        self.held_cpu: list[float] = []  # CPU seconds of this process meanwhile

    def statement(self, conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("BEGIN IMMEDIATE"):
            self.began = (time.perf_counter(), time.process_time())

    def ended(self, conn) -> None:
        if self.began is not None:
            self.held.append(time.perf_counter() - self.began[0])
            self.held_cpu.append(time.process_time() - self.began[1])
            self.began = None


def cpu(function) -> tuple[float, object]:
    started = time.process_time()
    value = function()
    return (time.process_time() - started) * 1000, value


def measure(app, emails: list[str]) -> dict[str, list[float]]:
    from sqlalchemy import event

    from lms.extensions import db

    with app.app_context():
        engine = db.engine
    watch = LockWatch()
    event.listen(engine, "before_cursor_execute", watch.statement)
    event.listen(engine, "commit", watch.ended)
    event.listen(engine, "rollback", watch.ended)
    costs: dict[str, list[float]] = {
        "sign-in (GET + POST)": [],
        "registration form GET": [],
        "registration POST": [],
    }
    path = f"/courses/{SLUG}/register"
    for index, email in enumerate(emails):
        client = app.test_client()

        def sign_in(client=client, email=email):
            page = client.get("/account/login").get_data(as_text=True)
            token = serving.CSRF.search(page).group(1)
            return client.post(
                "/account/login", data={"csrf_token": token, "email": email, "password": serving.PASSWORD}
            )

        spent, response = cpu(sign_in)
        assert response.status_code == 302, response.status_code
        costs["sign-in (GET + POST)"].append(spent)
        spent, response = cpu(lambda client=client: client.get(path))
        costs["registration form GET"].append(spent)
        page = response.get_data(as_text=True)
        form = {
            "csrf_token": serving.CSRF.search(page).group(1),
            "confirm_profile": "y",
            "accept_privacy": "y",
        }
        form |= pick_runs(page, random.Random(index))
        watch.held.clear()
        watch.held_cpu.clear()
        spent, response = cpu(lambda client=client, form=form: client.post(path, data=form))
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        costs["registration POST"].append(spent)
        costs.setdefault("CPU while holding the write lock, in the POST", []).append(
            sum(watch.held_cpu) * 1000
        )
        costs.setdefault("write lock held in the POST (wall ms)", []).append(sum(watch.held) * 1000)
    event.remove(engine, "before_cursor_execute", watch.statement)
    event.remove(engine, "commit", watch.ended)
    event.remove(engine, "rollback", watch.ended)
    return costs


def build_confirmations(app, count: int) -> float:
    """CPU ms per confirmation the job worker builds and writes to the mail folder."""
    from lms.mail.delivery import deliver_due

    with app.app_context():
        spent, _ = cpu(deliver_due)
    return spent / max(count, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=60)
    args = parser.parse_args(argv)
    # every sign-in comes from this one process: the throttle would refuse them
    os.environ["LMS_LOGIN_RATE_LIMIT"] = "100000 per minute"
    with serving.database("sqlite") as url, serving.workdir("lms-cost-") as folder:
        app = serving.benchmark_app(url)
        generate(app, 10_000, BACKGROUND_SLUG)
        serving.dispose(app)
        copy = folder / "cost.sqlite3"
        shutil.copyfile(serving.SQLITE_FILE, copy)
        app = serving.benchmark_app(f"sqlite:///{copy}")
        app.config["MAIL_DIR"] = str(folder / "mail")
        create_open_edition(app, 1000, SLUG)
        emails = create_learners(app, args.learners, SLUG)
        costs = measure(app, emails)
        costs["building one confirmation (job worker)"] = [build_confirmations(app, len(emails))]
        serving.dispose(app)
    print(f"| operation ({args.learners} learners) | median | mean |")
    print("|---|---:|---:|")
    for name, values in costs.items():
        print(f"| {name} | {statistics.median(values):.1f} | {statistics.fmean(values):.1f} |")
    total = sum(statistics.fmean(costs[name]) for name in costs if "lock" not in name)
    print(f"| one learner's evening: sign-in, form, POST and email (CPU ms) | | {total:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
