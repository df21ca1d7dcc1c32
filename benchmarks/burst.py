"""Registration burst: 1,000 learners register for one edition (6 modules × 2 runs)
from 50 concurrent clients through the real form, on SQLite and on PostgreSQL.

    .venv/bin/python -m benchmarks.burst [--backend sqlite --backend postgresql]
        [--learners 1000] [--clients 50] [--no-background]

The evening before the deadline: the database already holds the 10,000-learner edition
(benchmarks/generate.py; SQLite's file is copied, PostgreSQL is a throwaway server filled
anew; ``--no-background`` starts from an empty database instead) and a new edition open
for registration, whose runs are sized so that some fill: modules 1–2 have fewer seats
than learners in both runs (the last ones wait), modules 3–4 a small first run that
fills (later learners take the second), modules 5–6 room for everyone.

Everyone signs in first (not timed: argon2 is slow on purpose). Then each client takes
the next learner: a fresh connection with that learner's session, GET the registration
form (its CSRF token and which runs are full), pick a run per module (the first one
more often; a run shown full → the other run, both full → the waiting list of the
preferred one), POST. "Has just filled up" (someone took the last seat between the GET
and the POST) is counted and answered like a person would: reload and choose again.
Printed: registrations per second, POST latencies, errors (a non-2xx/3xx answer, no
answer, or a form error other than a full run), and afterwards, read from the
database, every run's capacity, counter and confirmed/waiting choices: no run over
capacity, ``run.taken`` equal to its confirmed choices, six current choices per learner.
"""

from __future__ import annotations

import argparse
import queue
import random
import re
import shutil
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

from benchmarks import serving
from benchmarks.generate import CONTENT, bulk_insert, generate, person

SLUG = "bench-burst"
BACKGROUND_SLUG = "bench-10000"
PREFERS_FIRST_RUN = 0.6
CHOICE = re.compile(r'name="module-(\d+)" value="((?:run|wait)-\d+)"')
# The "run full" refusal, in the learner's language (their profile's, which wins over the
# browser's): English and Vietnamese.
FULL_ANSWERS = ("has just filled up", "vừa hết chỗ")


def capacities(learners: int) -> list[tuple[int, int]]:
    """Seats of (first run, second run) for modules 1–6."""
    both_fill = (round(learners * 0.45), round(learners * 0.45))
    first_fills = (round(learners * 0.35), round(learners * 0.75))
    room = (learners, learners)
    return [both_fill, both_fill, first_fills, first_fills, room, room]


# -- the data ------------------------------------------------------------------------------


def create_open_edition(app, learners: int) -> int:
    """The 2023 course as a new edition open for registration, first run three weeks
    ahead, with the seats of capacities(); returns its id."""
    from lms.course_folders import apply_course, read_course_folder
    from lms.extensions import db

    spec = read_course_folder(CONTENT)
    now = datetime.now(UTC)
    zone = spec.first_start.tzinfo
    weeks = -(-((now + timedelta(days=21)).date() - spec.first_start.date()).days // 7)
    shift = timedelta(weeks=weeks)
    closes = datetime.combine(
        spec.first_start.date() + shift - timedelta(days=2), day_time(23, 59), tzinfo=zone
    )
    edition = spec.rescheduled(
        SLUG,
        title_suffix={"vi": " (đo đăng ký đồng loạt)", "en": " (registration burst)"},
        shift=shift,
        opens=now - timedelta(days=1),
        closes=closes,
    )
    with app.app_context():
        course, _ = apply_course(edition)
        for module, seats in zip(course.modules, capacities(learners), strict=True):
            for run, capacity in zip(module.runs, seats, strict=True):
                run.capacity = capacity
        db.session.commit()
        return course.id


def create_learners(app, count: int) -> list[str]:
    """``count`` learners with full profiles and the benchmark password; their emails."""
    from sqlalchemy import select

    from lms.accounts.models import User, UserRole
    from lms.accounts.services import hash_password
    from lms.extensions import db

    rng = random.Random(11)
    password_hash = hash_password(serving.PASSWORD)
    people = [person(rng, index, SLUG) | {"password_hash": password_hash} for index in range(count)]
    with app.app_context():
        bulk_insert(db, User, people)
        emails = [row["email"] for row in people]
        ids = db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all()
        bulk_insert(db, UserRole, [{"user_id": uid, "role": "learner", "granted_at": datetime.now(UTC)}
                                   for _, uid in ids])  # fmt: skip
        db.session.commit()
    return emails


@dataclass
class RunCheck:
    module: int
    run: str
    capacity: int
    taken: int
    confirmed: int
    waiting: int

    @property
    def sound(self) -> bool:
        return self.taken <= self.capacity and self.taken == self.confirmed


def check_database(app, course_id: int) -> tuple[list[RunCheck], int, int]:
    """Every run's counters against its choices; (runs, active registrations, learners
    whose current choices are not exactly one per module)."""
    from sqlalchemy import func, select

    from lms.enrollment.models import ChoiceStatus, Registration, RegistrationStatus, RunChoice
    from lms.extensions import db
    from lms.modules.models import Module, Run

    with app.app_context():
        rows = db.session.execute(
            select(Module.position, Run.key, Run.capacity, Run.taken, Run.id)
            .join(Module, Module.id == Run.module_id)
            .where(Module.course_id == course_id)
            .order_by(Module.position, Run.id)
        ).all()

        def count(run_id, status):
            return db.session.scalar(
                select(func.count(RunChoice.id)).where(RunChoice.run_id == run_id, RunChoice.status == status)
            )

        runs = [
            RunCheck(position, key, capacity, taken, count(run_id, ChoiceStatus.CONFIRMED),
                     count(run_id, ChoiceStatus.WAITING))
            for position, key, capacity, taken, run_id in rows
        ]  # fmt: skip
        active = db.session.scalar(
            select(func.count(Registration.id)).where(
                Registration.course_id == course_id, Registration.status == RegistrationStatus.ACTIVE
            )
        )
        current = (
            select(RunChoice.user_id, func.count(RunChoice.id).label("choices"))
            .join(Module, Module.id == RunChoice.module_id)
            .where(
                Module.course_id == course_id,
                RunChoice.status.in_([ChoiceStatus.CONFIRMED, ChoiceStatus.WAITING]),
            )
            .group_by(RunChoice.user_id)
            .subquery()
        )
        modules = len({run.module for run in runs})
        uneven = db.session.scalar(
            select(func.count()).select_from(current).where(current.c.choices != modules)
        )
    return runs, active, uneven


# -- the burst ----------------------------------------------------------------------------------


@dataclass
class Tally:
    registered: int = 0
    waiting_places: int = 0
    full_answers: int = 0
    errors: list[str] = field(default_factory=list)
    error_kinds: dict[str, int] = field(default_factory=dict)  # errors counted by reason
    post_latencies: list[float] = field(default_factory=list)
    form_latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    other_jobs: float = 0.0  # cores used by processes other than the benchmark's meanwhile
    lock: threading.Lock = field(default_factory=threading.Lock)


def pick_runs(page: str, rng: random.Random) -> dict[str, str]:
    """The choices a person makes from the form as shown: {field: value}."""
    options: dict[str, list[str]] = {}
    for module, value in CHOICE.findall(page):
        options.setdefault(f"module-{module}", []).append(value)
    picks = {}
    for name, values in options.items():
        preferred = values[0] if len(values) == 1 or rng.random() < PREFERS_FIRST_RUN else values[1]
        free = [value for value in values if value.startswith("run-")]
        if preferred.startswith("run-"):
            picks[name] = preferred
        elif free:
            picks[name] = free[0]
        else:
            picks[name] = preferred  # both full: the preferred run's waiting list
    return picks


def register_one(base: str, cookies: dict, index: int, tally: Tally) -> None:
    client = serving.Client(base)
    client.cookies = dict(cookies)
    rng = random.Random(index)
    path = f"/courses/{SLUG}/register"
    try:
        for _ in range(5):
            began = time.perf_counter()
            token, page = client.csrf_token(path)
            formed = time.perf_counter()
            picks = pick_runs(page, rng)
            form = {"csrf_token": token, "confirm_profile": "y", "accept_privacy": "y", **picks}
            status, data, target = client.post(path, form)
            ended = time.perf_counter()
            with tally.lock:
                tally.form_latencies.append(formed - began)
                tally.post_latencies.append(ended - formed)
            if status == 302 and target == "/my/schedule":
                with tally.lock:
                    tally.registered += 1
                    tally.waiting_places += sum(value.startswith("wait-") for value in picks.values())
                return
            text = data.decode(errors="replace")
            if status == 200 and any(answer in text for answer in FULL_ANSWERS):
                with tally.lock:
                    tally.full_answers += 1
                continue  # reload the form and choose again
            error = re.search(r'id="form-error">([^<]*)<', text)
            raise RuntimeError(f"HTTP {status} {target}: {error.group(1) if error else text[:200]}")
        raise RuntimeError("still full after 5 tries")
    except (OSError, RuntimeError) as failure:
        # No answer (a POST whose connection dropped is not sent again: the platform may or
        # may not have registered the learner) or a wrong one: an error either way.
        kind = serving.failure_reason(failure) if isinstance(failure, OSError) else "wrong answer"
        with tally.lock:
            tally.errors.append(f"learner {index}: {failure}")
            tally.error_kinds[kind] = tally.error_kinds.get(kind, 0) + 1
    finally:
        client.close()


def sign_in_all(base: str, emails: list[str], clients: int) -> list[dict]:
    """Each learner's session cookies, signed in through the login form."""
    sessions: list = [None] * len(emails)
    work: queue.Queue = queue.Queue()
    for index in range(len(emails)):
        work.put(index)
    failures: list[str] = []

    def worker() -> None:
        while True:
            try:
                index = work.get_nowait()
            except queue.Empty:
                return
            client = serving.Client(base)
            try:
                client.sign_in(emails[index])
                sessions[index] = client.cookies
            except (OSError, RuntimeError) as failure:
                failures.append(str(failure))
            finally:
                client.close()

    run_threads(worker, clients)
    if failures:
        raise SystemExit(f"{len(failures)} learners could not sign in, e.g. {failures[0]}")
    return sessions


def burst(base: str, sessions: list[dict], clients: int) -> Tally:
    tally = Tally()
    work: queue.Queue = queue.Queue()
    for index in range(len(sessions)):
        work.put(index)

    def worker() -> None:
        while True:
            try:
                index = work.get_nowait()
            except queue.Empty:
                return
            register_one(base, sessions[index], index, tally)

    started, others = time.perf_counter(), serving.OtherJobs()
    run_threads(worker, clients)
    tally.seconds = time.perf_counter() - started
    tally.other_jobs = others.cores()
    return tally


def run_threads(target, count: int) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# -- a backend's run -------------------------------------------------------------------------------


@dataclass
class BackendResult:
    backend: str
    learners: int
    clients: int
    tally: Tally
    runs: list[RunCheck]
    active: int
    uneven: int
    sign_in_seconds: float

    @property
    def sound(self) -> bool:
        return (
            all(run.sound for run in self.runs) and self.uneven == 0 and self.active == self.tally.registered
        )


def copy_background(folder: Path) -> str:
    """A copy of the SQLite benchmark file with the 10,000-learner edition."""
    app = serving.benchmark_app(f"sqlite:///{serving.SQLITE_FILE}")
    generate(app, 10_000, BACKGROUND_SLUG)
    serving.dispose(app)
    target = folder / "burst.sqlite3"
    shutil.copyfile(serving.SQLITE_FILE, target)
    return f"sqlite:///{target}"


def run_backend(backend: str, args) -> BackendResult:
    with serving.database(backend, args.postgres_url) as url, serving.workdir("lms-burst-") as folder:
        print(f"[{backend}] preparing …", flush=True)
        if backend == "sqlite":
            url = f"sqlite:///{folder / 'burst.sqlite3'}" if args.no_background else copy_background(folder)
        app = serving.benchmark_app(url)
        if backend != "sqlite" and not args.no_background:
            print(f"[{backend}] " + " ".join(generate(app, 10_000, BACKGROUND_SLUG).lines()), flush=True)
        course_id = create_open_edition(app, args.learners)
        emails = create_learners(app, args.learners)
        serving.dispose(app)

        environment = serving.app_environment(url, folder / "instance")
        server = serving.serve("platform", "wsgi:app", environment, folder, args.workers, args.threads)
        try:
            started = time.perf_counter()
            sessions = sign_in_all(server.base, emails, args.clients)
            signed_in = time.perf_counter() - started
            print(
                f"[{backend}] {len(emails)} learners signed in ({signed_in:.0f} s); the burst …", flush=True
            )
            tally = burst(server.base, sessions, args.clients)
        finally:
            server.stop()
        problems = server.tracebacks()
        if problems:
            print(f"[{backend}] the server logged errors:\n{problems[-3000:]}", file=sys.stderr)
        runs, active, uneven = check_database(app, course_id)
        serving.dispose(app)
        return BackendResult(backend, args.learners, args.clients, tally, runs, active, uneven, signed_in)


# -- the report -----------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] * 1000 if len(values) > 1 else float("nan")


def summary(results: list[BackendResult]) -> list[str]:
    lines = [
        "| backend | learners | clients | seconds | registrations/s | form GET p95 ms | POST p95 ms "
        '| registered | chose a waiting list | "run full" answers | errors | runs sound | sign-ins/s (before) '
        "| other jobs (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in results:
        t = r.tally
        lines.append(
            f"| {r.backend} | {r.learners:,} | {r.clients} | {t.seconds:.1f} | {t.registered / t.seconds:.1f} | "
            f"{p95(t.form_latencies):.0f} | {p95(t.post_latencies):.0f} | {t.registered:,} | {t.waiting_places} | "
            f"{t.full_answers} | {len(t.errors)} | {'yes' if r.sound else 'NO'} | "
            f"{r.learners / r.sign_in_seconds:.1f} | {t.other_jobs:.2f} |"
        )
    return lines


def run_table(result: BackendResult) -> list[str]:
    lines = [
        f"{result.backend}: module run capacity taken confirmed waiting",
    ]
    for run in result.runs:
        mark = "" if run.sound else "   <-- over capacity or counter ≠ confirmed"
        lines.append(
            f"  {run.module} {run.run:>3} {run.capacity:>5} {run.taken:>5} {run.confirmed:>5} {run.waiting:>5}{mark}"
        )
    lines.append(
        f"  active registrations {result.active} (registered answers {result.tally.registered}); "
        f"learners without exactly one current choice per module: {result.uneven}"
    )
    lines.extend(f"  errors: {count} × {kind}" for kind, count in sorted(result.tally.error_kinds.items()))
    lines.extend(f"  error: {error}" for error in result.tally.errors[:5])
    return lines


def parse_arguments(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend", action="append", choices=serving.BACKENDS, help="repeatable; default: both"
    )
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=serving.WORKERS)
    parser.add_argument("--threads", type=int, default=serving.THREADS)
    parser.add_argument("--no-background", action="store_true", help="without the 10,000-learner edition")
    parser.add_argument("--postgres-url", help="a PostgreSQL server to use instead of a throwaway one")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    results = [run_backend(backend, args) for backend in args.backend or list(serving.BACKENDS)]
    print(
        f"\ngunicorn {args.workers} workers × {args.threads} threads; load average at the end: "
        f"{serving.load_average()}\n"
    )
    print("\n".join(summary(results)))
    for result in results:
        print()
        print("\n".join(run_table(result)))
    return 0 if all(result.sound and not result.tally.errors for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
