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

As served (``wsgi.py``), the objects that exist once the app and the data are set up are
frozen out of the garbage collector's full collections (``gc.freeze()``) before the
steps are measured: without it, a full collection of the benchmark's own 200,000
long-lived objects (about 0.1 s of CPU) lands in whichever step happens to trigger it, most
often the confirmations (``--unfrozen`` measures that way, as before 2026-11-30).

``--profile`` also runs each step under cProfile and prints, per step, the functions
with the most time of their own and the platform's functions with the most time in all
(a profiler slows Python down: the shares matter, not its milliseconds).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
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


PROFILES: dict[str, cProfile.Profile] = {}  # by step, with --profile


def cpu(function, step: str | None = None) -> tuple[float, object]:
    """CPU ms of ``function()`` and its value; profiled as ``step`` with --profile."""
    profiler = PROFILES.get(step) if step else None
    started = time.process_time()
    if profiler is not None:
        profiler.enable()
    value = function()
    if profiler is not None:
        profiler.disable()
    return (time.process_time() - started) * 1000, value


def print_profiles(top: int) -> None:
    for step, profiler in PROFILES.items():
        stats = pstats.Stats(profiler).stats
        total = sum(row[2] for row in stats.values()) or 1.0
        rows = [
            (f"{_short(filename)}:{line} {name}", own / total, cumulative / total)
            for (filename, line, name), (_, _, own, cumulative, _) in stats.items()
        ]
        print(f"\n## {step}: own time")
        for name, own, _ in sorted(rows, key=lambda row: -row[1])[:top]:
            print(f"{own:6.1%}  {name}")
        print(f"\n## {step}: the platform's functions, time in all")
        ours = [row for row in rows if row[0].startswith(("lms/", "templates/"))]
        for name, _, cumulative in sorted(ours, key=lambda row: -row[2])[:top]:
            print(f"{cumulative:6.1%}  {name}")


def _short(filename: str) -> str:
    filename = filename.rsplit("site-packages/", 1)[-1]
    return "lms/" + filename.rsplit("/lms/", 1)[1] if "/lms/" in filename else filename


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

        spent, response = cpu(sign_in, "sign-in (GET + POST)")
        assert response.status_code == 302, response.status_code
        costs["sign-in (GET + POST)"].append(spent)
        spent, response = cpu(lambda client=client: client.get(path), "registration form GET")
        costs["registration form GET"].append(spent)
        page = response.get_data(as_text=True)
        form = {
            "csrf_token": serving.CSRF.search(page).group(1),
            "confirm_profile": "y",
            "consent": "course",
        }
        form |= pick_runs(page, random.Random(index))
        watch.held.clear()
        watch.held_cpu.clear()
        spent, response = cpu(
            lambda client=client, form=form: client.post(path, data=form), "registration POST"
        )
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
        spent, _ = cpu(deliver_due, "building the confirmations (job worker)")
    return spent / max(count, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=60)
    parser.add_argument("--profile", action="store_true", help="profile each step (cProfile)")
    parser.add_argument("--top", type=int, default=25, help="functions listed per step with --profile")
    parser.add_argument("--unfrozen", action="store_true", help="leave the collector as it is (no gc.freeze)")
    args = parser.parse_args(argv)
    if args.profile:
        for step in ("sign-in (GET + POST)", "registration form GET", "registration POST"):
            PROFILES[step] = cProfile.Profile()
        PROFILES["building the confirmations (job worker)"] = cProfile.Profile()
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
        if not args.unfrozen:
            gc.collect()
            gc.freeze()  # as wsgi.py does once the app is built
        costs = measure(app, emails)
        costs["building one confirmation (job worker)"] = [build_confirmations(app, len(emails))]
        serving.dispose(app)
    print(f"| operation ({args.learners} learners) | median | mean |")
    print("|---|---:|---:|")
    for name, values in costs.items():
        print(f"| {name} | {statistics.median(values):.1f} | {statistics.fmean(values):.1f} |")
    total = sum(statistics.fmean(costs[name]) for name in costs if "lock" not in name)
    print(f"| one learner's evening: sign-in, form, POST and email (CPU ms) | | {total:.1f} |")
    print_profiles(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
