"""Registration burst: 1,000 learners register for one edition (6 modules × 2 runs)
from 50 concurrent clients through the real form, on SQLite and on PostgreSQL, with a
job worker sending the confirmations: to the mail folder, to a fast SMTP server and to
an SMTP server taking 1 s per message.

    .venv/bin/python -m benchmarks.burst [--backend sqlite --backend postgresql]
        [--learners 1000] [--clients 50] [--no-background]
        [--mail folder --mail smtp --mail slow-smtp] [--smtp-delay 1.0]
        [--job-workers 1] [--job-threads 2] [--job-nice 0]

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

Email: every registration queues its confirmation in the outbox and wakes a job worker
(``flask lms worker`` processes beside gunicorn, sharing a SQLite queue file). Each mail
configuration (``--mail``, all three by default) gets an edition and learners of its own
in the same database and a fresh server and worker: ``folder`` (no mail server: the
worker writes .eml files), ``smtp`` (a local SMTP server, tests/smtp_server.py, in this
process) and ``slow-smtp`` (the same server answering each message after
``--smtp-delay`` seconds). After the burst: how long until the last confirmation was
sent, and what arrived counted by Message-ID (each exactly once, one per registration).
Registrations/s and POST p95 are compared with the ``folder`` configuration.
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import logging
import queue
import random
import re
import shutil
import statistics
import sys
import threading
import time
from collections import Counter
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


def create_open_edition(app, learners: int, slug: str = SLUG) -> int:
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
        slug,
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


def create_learners(app, count: int, slug: str = SLUG) -> list[str]:
    """``count`` learners with full profiles and the benchmark password; their emails."""
    from sqlalchemy import select

    from lms.accounts.models import User, UserRole
    from lms.accounts.services import hash_password
    from lms.extensions import db

    rng = random.Random(11)
    password_hash = hash_password(serving.PASSWORD)
    people = [person(rng, index, slug) | {"password_hash": password_hash} for index in range(count)]
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

    from lms.catalogue.models import Module, Run
    from lms.enrollment.models import ChoiceStatus, Registration, RegistrationStatus, RunChoice
    from lms.extensions import db

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


def register_one(base: str, cookies: dict, index: int, tally: Tally, slug: str = SLUG) -> None:
    client = serving.Client(base)
    client.cookies = dict(cookies)
    rng = random.Random(index)
    path = f"/courses/{slug}/register"
    try:
        for _ in range(5):
            began = time.perf_counter()
            token, page = client.csrf_token(path)
            formed = time.perf_counter()
            picks = pick_runs(page, rng)
            form = {"csrf_token": token, "confirm_profile": "y", "consent": "course", **picks}
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


def burst(base: str, sessions: list[dict], clients: int, slug: str = SLUG) -> Tally:
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
            register_one(base, sessions[index], index, tally, slug)

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


# -- email ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailSetup:
    """Where the job worker sends the confirmations during one burst."""

    key: str  # folder, smtp, slow-smtp
    label: str
    smtp: bool = False
    delay: float = 0.0  # seconds the SMTP server takes to answer each message


MAIL_SETUPS = ("folder", "smtp", "slow-smtp")


def mail_setups(args) -> list[MailSetup]:
    known = {
        "folder": MailSetup("folder", "no mail server (folder)"),
        "smtp": MailSetup("smtp", "SMTP", smtp=True),
        "slow-smtp": MailSetup(
            "slow-smtp", f"SMTP, {args.smtp_delay:g} s/message", smtp=True, delay=args.smtp_delay
        ),
    }
    return [known[key] for key in dict.fromkeys(args.mail or MAIL_SETUPS)]


@dataclass
class MailResult:
    """The confirmations of one burst: the outbox, and what arrived by Message-ID."""

    statuses: Counter  # outbox rows of the edition's confirmations, by status
    outbox_ids: set[str]
    received: Counter  # Message-ID → how many times it arrived
    after_burst: float | None  # seconds from the burst's end to the last one sent (0: during it)
    registrations: int

    @property
    def queued(self) -> int:
        return sum(self.statuses.values())

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.received.values())

    @property
    def missing(self) -> int:
        return len(self.outbox_ids - set(self.received))

    @property
    def exactly_once(self) -> bool:
        return (
            self.queued == self.registrations
            and self.statuses.get("sent", 0) == self.queued
            and set(self.received) == self.outbox_ids
            and self.duplicates == 0
        )


def outbox_state(app, course_id: int) -> tuple[Counter, set[str], datetime | None]:
    """(statuses, Message-IDs, last sent_at) of the edition's confirmations, read in a
    read-only transaction (SQLite: never holding the write lock the worker needs)."""
    from sqlalchemy import select

    from lms.db import write_intent
    from lms.extensions import db
    from lms.mail.models import OutboxMessage

    with app.app_context(), write_intent(False):
        rows = db.session.execute(
            select(OutboxMessage.status, OutboxMessage.message_id, OutboxMessage.sent_at).where(
                OutboxMessage.course_id == course_id, OutboxMessage.kind == "registration_confirmed"
            )
        ).all()
        db.session.commit()
    sent = [sent_at for _, _, sent_at in rows if sent_at is not None]
    return Counter(status for status, _, _ in rows), {mid for _, mid, _ in rows}, max(sent, default=None)


def received_in_folder(folder: Path) -> Counter:
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    counts: Counter = Counter()
    for path in folder.glob("*.eml"):
        with open(path, "rb") as handle:
            counts[str(parser.parse(handle)["Message-ID"])] += 1
    return counts


def wait_for_mail(app, course_id: int, registrations: int, setup: MailSetup) -> None:
    """Until every confirmation of the edition is sent (or failed), or the time is up."""
    # As if one connection sent them all, plus two minutes: ample for any set-up.
    allowed = 120 + registrations * (setup.delay + 0.1)
    deadline = time.monotonic() + allowed
    while time.monotonic() < deadline:
        statuses, _, _ = outbox_state(app, course_id)
        if (
            sum(statuses.values()) >= registrations
            and not statuses.get("queued")
            and not statuses.get("sending")
        ):
            return
        time.sleep(0.5)
    print(f"  (gave up waiting for the mail after {allowed:.0f} s)", file=sys.stderr)


def mail_result(app, course_id: int, registrations: int, ended: datetime, received: Counter) -> MailResult:
    statuses, ids, last_sent = outbox_state(app, course_id)
    after = None if last_sent is None else max(0.0, (last_sent - ended).total_seconds())
    return MailResult(statuses, ids, received, after, registrations)


def start_job_workers(environment: dict[str, str], folder: Path, key: str, count: int, threads: int):
    """``count`` ``flask lms worker`` processes with the server's settings (the first one
    also runs the schedule), their logs in ``folder``."""
    from tests.job_workers import JobWorker

    settings = {name.removeprefix("LMS_"): value for name, value in environment.items()}
    workers = [
        JobWorker(
            f"{key}-worker{number}", settings, folder / f"{key}-worker{number}.log", threads, number == 1
        )
        for number in range(1, count + 1)
    ]
    for worker in workers:
        worker.start(wait=False)
    for worker in workers:
        worker.wait_started()
        serving.OWN_PARENTS.add(worker.process.pid)
    return workers


def cpu_seconds(workers) -> float:
    """CPU time (user + system) the job worker processes have used so far."""
    total = 0
    for worker in workers:
        try:
            fields = Path(f"/proc/{worker.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / serving.TICKS


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
    setup: MailSetup | None = None
    mail: MailResult | None = None
    worker_cpu: float = 0.0  # CPU seconds the job workers used during the burst

    @property
    def sound(self) -> bool:
        return (
            all(run.sound for run in self.runs) and self.uneven == 0 and self.active == self.tally.registered
        )

    @property
    def name(self) -> str:
        return self.backend if self.setup is None else f"{self.backend}, {self.setup.label}"


def copy_background(folder: Path) -> str:
    """A copy of the SQLite benchmark file with the 10,000-learner edition."""
    app = serving.benchmark_app(f"sqlite:///{serving.SQLITE_FILE}")
    generate(app, 10_000, BACKGROUND_SLUG)
    serving.dispose(app)
    target = folder / "burst.sqlite3"
    shutil.copyfile(serving.SQLITE_FILE, target)
    return f"sqlite:///{target}"


def run_backend(backend: str, args) -> list[BackendResult]:
    """One database on ``backend``, and a burst into an edition of its own for each mail set-up."""
    with serving.database(backend, args.postgres_url) as url, serving.workdir("lms-burst-") as folder:
        print(f"[{backend}] preparing …", flush=True)
        if backend == "sqlite":
            url = f"sqlite:///{folder / 'burst.sqlite3'}" if args.no_background else copy_background(folder)
        app = serving.benchmark_app(url)
        if backend != "sqlite" and not args.no_background:
            print(f"[{backend}] " + " ".join(generate(app, 10_000, BACKGROUND_SLUG).lines()), flush=True)
        results = [run_setup(backend, setup, app, url, folder, args) for setup in mail_setups(args)]
        serving.dispose(app)
        return results


def run_setup(backend: str, setup: MailSetup, app, url: str, folder: Path, args) -> BackendResult:
    from tests.smtp_server import SmtpServer

    tag = f"[{backend}, {setup.label}]"
    slug = f"{SLUG}-{setup.key}"
    course_id = create_open_edition(app, args.learners, slug)
    emails = create_learners(app, args.learners, slug)
    serving.dispose(app)

    mail_dir = folder / f"mail-{setup.key}"
    environment = serving.app_environment(url, folder / f"instance-{setup.key}") | {
        "LMS_JOBS_URL": f"sqlite:///{folder / f'jobs-{setup.key}.sqlite3'}",
        "LMS_MAIL_DIR": str(mail_dir),
    }
    smtp = None
    if setup.smtp:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
        smtp = SmtpServer().start()
        if setup.delay:
            smtp.slow(setup.delay)
        environment |= {"LMS_SMTP_HOST": smtp.host, "LMS_SMTP_PORT": str(smtp.port), "LMS_SMTP_STARTTLS": "0"}
    workers = start_job_workers(
        environment | {"LMS_WORKER_NICE": str(args.job_nice)},
        folder,
        setup.key,
        args.job_workers,
        args.job_threads,
    )
    server = None
    try:
        server = serving.serve(
            f"platform-{setup.key}", "wsgi:app", environment, folder, args.workers, args.threads
        )
        started = time.perf_counter()
        sessions = sign_in_all(server.base, emails, args.clients)
        signed_in = time.perf_counter() - started
        print(f"{tag} {len(emails)} learners signed in ({signed_in:.0f} s); the burst …", flush=True)
        before = cpu_seconds(workers)
        tally = burst(server.base, sessions, args.clients, slug)
        ended = datetime.now(UTC)
        worker_cpu = cpu_seconds(workers) - before
        print(
            f"{tag} {tally.registered} registered in {tally.seconds:.1f} s; waiting for the mail …",
            flush=True,
        )
        wait_for_mail(app, course_id, tally.registered, setup)
        received = Counter(smtp.message_ids()) if smtp else received_in_folder(mail_dir)
        mail = mail_result(app, course_id, tally.registered, ended, received)
    finally:
        if server is not None:
            server.stop()
        for worker in workers:
            worker.stop()
        if smtp is not None:
            smtp.stop()
    problems = [server.tracebacks(), *(problem for worker in workers for problem in worker.problems([]))]
    for problem in filter(None, problems):
        print(f"{tag} errors in the logs:\n{problem[-3000:]}", file=sys.stderr)
    runs, active, uneven = check_database(app, course_id)
    serving.dispose(app)
    return BackendResult(
        backend, args.learners, args.clients, tally, runs, active, uneven, signed_in, setup, mail, worker_cpu
    )


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
            f"| {r.name} | {r.learners:,} | {r.clients} | {t.seconds:.1f} | {t.registered / t.seconds:.1f} | "
            f"{p95(t.form_latencies):.0f} | {p95(t.post_latencies):.0f} | {t.registered:,} | {t.waiting_places} | "
            f"{t.full_answers} | {len(t.errors)} | {'yes' if r.sound else 'NO'} | "
            f"{r.learners / r.sign_in_seconds:.1f} | {t.other_jobs:.2f} |"
        )
    return lines


def mail_summary(results: list[BackendResult]) -> list[str]:
    """Throughput and POST p95 against the same backend's folder set-up, and the mail."""
    lines = [
        "| backend | mail | registrations/s | × folder | POST p95 ms | × folder | errors "
        "| job worker CPU in the burst (s) | last mail sent after the burst (s) | confirmations queued "
        "| Message-IDs received | duplicates | missing | exactly once | other jobs (cores) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in results:
        if r.mail is None:
            continue
        t, m = r.tally, r.mail
        base = next(
            (b for b in results if b.backend == r.backend and b.setup and b.setup.key == "folder"), None
        )
        rate, latency = t.registered / t.seconds, p95(t.post_latencies)
        rate_ratio = f"{rate / (base.tally.registered / base.tally.seconds):.2f}" if base else ""
        latency_ratio = f"{latency / p95(base.tally.post_latencies):.2f}" if base else ""
        after = "—" if m.after_burst is None else f"{m.after_burst:.1f}"
        lines.append(
            f"| {r.backend} | {r.setup.label} | {rate:.1f} | {rate_ratio} | {latency:.0f} | {latency_ratio} | "
            f"{len(t.errors)} | {r.worker_cpu:.1f} | {after} | {m.queued:,} | {len(m.received):,} | "
            f"{m.duplicates} | {m.missing} | {'yes' if m.exactly_once else 'NO'} | {t.other_jobs:.2f} |"
        )
    return lines


def run_table(result: BackendResult) -> list[str]:
    lines = [
        f"{result.name}: module run capacity taken confirmed waiting",
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
    if result.mail is not None:
        lines.append(f"  confirmations in the outbox by status: {dict(result.mail.statuses)}")
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
    parser.add_argument(
        "--mail", action="append", choices=MAIL_SETUPS,
        help="where the confirmations go, repeatable; default: all three, each with its own burst",
    )  # fmt: skip
    parser.add_argument("--smtp-delay", type=float, default=1.0, help="seconds per message of slow-smtp")
    parser.add_argument("--job-workers", type=int, default=1, help="flask lms worker processes")
    parser.add_argument(
        "--job-threads", type=int, default=2, help="threads of each (LMS_WORKER_THREADS' default)"
    )
    parser.add_argument(
        "--job-nice", type=int, default=0, help="their lower scheduling priority (LMS_WORKER_NICE, 0 to 19)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    results = [
        result for backend in args.backend or list(serving.BACKENDS) for result in run_backend(backend, args)
    ]
    print(
        f"\ngunicorn {args.workers} workers × {args.threads} threads; {args.job_workers} job worker(s) × "
        f"{args.job_threads} threads, niceness +{args.job_nice}; load average at the end: "
        f"{serving.load_average()}\n"
    )
    print("\n".join(summary(results)))
    print()
    print("\n".join(mail_summary(results)))
    for result in results:
        print()
        print("\n".join(run_table(result)))
    sound = all(result.sound and not result.tally.errors for result in results)
    return 0 if sound and all(result.mail is None or result.mail.exactly_once for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
