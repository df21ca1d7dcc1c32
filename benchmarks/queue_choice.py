"""The measurement behind the job queue's library: Huey against Celery, each with an
embedded store (a SQLite file) and with Redis.

    .venv/bin/python -m benchmarks.queue_choice [--enqueues 2000] [--threads 8]
        [--tasks 1000] [--idle-samples 20] [--config huey-sqlite --config celery-redis ...]

    # Celery is not a project dependency: install it outside the project, then
    pip install --target /tmp/celery_pkgs celery==5.7.0
    PYTHONPATH=/tmp/celery_pkgs .venv/bin/python -m benchmarks.queue_choice

Standalone: it needs neither the app nor its database. The task is trivial (it writes a
marker file named by its number, holding the time it ran, into a temporary folder), so
completion is counted across processes without asking the queue. Configurations, set up
as lms/jobs/queue.py and lms/jobs/worker.py set up Huey:

- huey-sqlite: Huey 3 with SqliteStorage on a file (timeout 30 s); consumer with 2 threads,
  polling back-off 0.05 s × 1.5 up to 1.0 s (``MAX_POLL_DELAY``), periodic scheduler on.
- huey-redis: Huey with RedisStorage; the same consumer (it blocks on BRPOP, no polling).
- celery-redis: Celery 5.7 with the Redis broker; ``celery worker -P threads -c 2``.
- celery-sqlite: Celery with kombu's SQLAlchemy transport on a SQLite file
  (``sqla+sqlite:///…``, Celery's only embedded broker, documented as experimental),
  polling every 1.0 s (kombu's default, the same as Huey's longest wait).

Both Celery workers run with ``--without-gossip --without-mingle --without-heartbeat``
(worker-to-worker chatter a single worker does not need; mingle would add a wait at
start-up) and no result backend; Huey runs with ``results=False`` as the app does. Redis
is a throwaway server (tests/redis_server.py), started once for the run.

Measured per configuration:

1. Enqueue, as a web request sees it (no worker running): microseconds per enqueue from
   one thread (median and 95th percentile over ``--enqueues``, after a warm-up), and
   enqueues per second with ``--threads`` threads at once (gunicorn's workers × threads).
2. End to end, one worker process: start-up (from launching the worker to the end of a
   task queued before it), its resident memory once idle, the latency of one task
   enqueued on an idle worker (``--idle-samples`` tasks, each after a random pause; for
   Huey on SQLite the pause is long enough for its back-off to reach 1 s first), and the
   time a new worker takes to run ``--tasks`` tasks queued before it started (first to
   last completion, so start-up is left out).
3. What else it needs (a broker process, packages).

Ratios are to huey-sqlite measured in the same run. "other jobs" is the CPU (in cores)
that processes other than the benchmark's used meanwhile: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLL_DELAY = 1.0  # lms/jobs/worker.py MAX_POLL_DELAY: Huey's longest wait between polls
HUEY_BACKOFF = (0.05, 1.5)  # lms/jobs/worker.py: initial delay and back-off factor
WORKER_THREADS = 2
HUEY_SETTLE = 2.6  # s of empty polls before Huey's back-off reaches POLL_DELAY (2.46 s)
OTHERS_SETTLE = 0.2  # the others have no back-off: any pause leaves them as idle
WARMUP = 50


@dataclass(frozen=True)
class Config:
    name: str
    label: str
    library: str  # huey | celery
    store: str  # sqlite | redis
    needs: str


CONFIGS = (
    Config("huey-sqlite", "Huey + SQLite", "huey", "sqlite", "nothing: a file"),
    Config("huey-redis", "Huey + Redis", "huey", "redis", "a Redis server"),
    Config("celery-redis", "Celery + Redis", "celery", "redis", "a Redis server"),
    Config("celery-sqlite", "Celery + SQLite (sqla)", "celery", "sqlite", "nothing: a file (experimental)"),
)
BASELINE = "huey-sqlite"


# -- the task and the two libraries -------------------------------------------------------


def mark(folder: str, number: int) -> None:
    """The task: a file named ``number`` in ``folder`` holding the time it ran (written
    under another name first, so that a file seen is complete)."""
    path = os.path.join(folder, str(number))
    with open(path + ".part", "w") as handle:
        handle.write(repr(time.time()))
    os.replace(path + ".part", path)


def huey_queue(store: str, location: str):
    """(huey, task) with the storage lms/jobs/queue.py builds for this store. Huey names a
    task by its module too: the benchmark and its workers both run this file with ``-m``,
    so both know it as ``__main__.mark``."""
    from huey import RedisHuey, SqliteHuey

    if store == "sqlite":
        huey = SqliteHuey("lms", filename=location, timeout=30, results=False, utc=True)
    else:
        huey = RedisHuey("lms", url=location, results=False, utc=True)
    return huey, huey.task(name="mark")(mark)


def celery_queue(store: str, location: str):
    """(app, task): Celery without a result backend. kombu's SQLAlchemy transport polls
    every 1.0 s (kombu's default, equal to POLL_DELAY); it cannot be changed there, since
    that transport hands its options to SQLAlchemy's create_engine."""
    from celery import Celery

    app = Celery("queue_choice", broker=location, set_as_current=False)
    app.conf.update(
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app, app.task(name="mark", ignore_result=True)(mark)


def enqueuer(config: Config, location: str) -> Callable[[str, int], None]:
    """What the web process calls: put mark(folder, number) on the queue."""
    if config.library == "huey":
        _, task = huey_queue(config.store, location)
        return lambda folder, number: task(folder, number)
    _, task = celery_queue(config.store, location)
    return lambda folder, number: task.delay(folder, number)


def run_worker(config: Config, location: str) -> None:
    """The worker process (``--worker-for``): runs until SIGTERM."""
    if config.library == "huey":
        huey, _ = huey_queue(config.store, location)
        initial_delay, backoff = HUEY_BACKOFF
        huey.create_consumer(
            workers=WORKER_THREADS,
            worker_type="thread",
            periodic=True,
            initial_delay=initial_delay,
            backoff=backoff,
            max_delay=POLL_DELAY,
            check_worker_health=True,
        ).run()
        return
    app, _ = celery_queue(config.store, location)
    app.worker_main(
        ["worker", "-P", "threads", "-c", str(WORKER_THREADS), "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"]
    )  # fmt: skip


def celery_available() -> bool:
    try:
        import celery  # noqa: F401
    except ImportError:
        return False
    return True


# -- processes -----------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


class Worker:
    """A worker process of this module for one configuration, its output in a log file."""

    def __init__(self, config: Config, location: str, log: Path) -> None:
        self.log = log
        command = [sys.executable, "-m", "benchmarks.queue_choice", "--worker-for", config.name, location]
        with open(log, "ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 (this module, arguments built here)
                command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
            )

    def check(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"the worker exited ({self.process.returncode}): {self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] or "(no output)"

    def rss_mb(self) -> float:
        """Resident memory of the worker and any children, in MB."""
        total = 0
        for pid in [self.process.pid, *_descendants(self.process.pid)]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def cpu_seconds(self) -> float:
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _descendants(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                children.append(int(entry.name))
    return children + [grandchild for child in children for grandchild in _descendants(child)]


# -- markers ---------------------------------------------------------------------------------


def done(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if not name.endswith(".part")]


def wait_for(folder: Path, count: int, worker: Worker, timeout: float, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while len(done(folder)) < count:
        worker.check()
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{len(done(folder))} of {count} tasks ran within {timeout:.0f} s: {worker.output()}"
            )
        time.sleep(interval)


def ran_at(folder: Path, number: int) -> float:
    return float((folder / str(number)).read_text())


# -- measurements ----------------------------------------------------------------------------


@dataclass
class Result:
    config: Config
    enqueue_us: list[float] = field(default_factory=list)
    threaded_done: int = 0
    threaded_seconds: float = 0.0
    threaded_errors: int = 0
    first_error: str = ""
    startups: list[float] = field(default_factory=list)
    idle_rss_mb: float = 0.0
    rss_after_mb: float = 0.0
    idle_cpu: float = 0.0  # share of one core while (mostly) idle
    latencies_ms: list[float] = field(default_factory=list)
    drain_s: float = 0.0
    store_left: str = ""
    other_jobs: float = 0.0

    @property
    def enqueue_median(self) -> float:
        return statistics.median(self.enqueue_us)

    @property
    def enqueue_p95(self) -> float:
        return percentile(self.enqueue_us, 0.95)

    @property
    def threaded_per_s(self) -> float:
        return self.threaded_done / max(1e-9, self.threaded_seconds)

    @property
    def startup(self) -> float:
        return statistics.median(self.startups)

    @property
    def latency_median(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def latency_p95(self) -> float:
        return percentile(self.latencies_ms, 0.95)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def enqueue_round(result: Result, enqueue: Callable[[str, int], None], count: int, args, folder: str) -> None:
    """``count`` enqueues timed one by one, then ``count`` from ``--threads`` threads at once.
    No worker runs: the tasks pile up in a store of their own and never run."""
    for number in range(count):
        started = time.perf_counter_ns()
        enqueue(folder, number)
        result.enqueue_us.append((time.perf_counter_ns() - started) / 1000)

    each = max(1, count // args.threads)
    ready = threading.Barrier(args.threads + 1)
    errors: list[str] = []

    def client(index: int) -> None:
        for number in range(3):  # this thread's connection opened first
            enqueue(folder, -1 - number)
        ready.wait()
        for number in range(each):
            try:
                enqueue(folder, index * each + number)
            except Exception as error:  # counted and shown: a lost enqueue is a finding
                errors.append(f"{type(error).__name__}: {error}"[:200])

    threads = [threading.Thread(target=client, args=(index,)) for index in range(args.threads)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    result.threaded_seconds += time.perf_counter() - started
    result.threaded_done += each * args.threads - len(errors)
    result.threaded_errors += len(errors)
    result.first_error = result.first_error or (errors[0] if errors else "")


def measure_end_to_end(
    result: Result, enqueue: Callable[[str, int], None], location: str, args, work: Path
) -> None:
    config = result.config
    log = work / f"{config.name}-worker.log"

    # Start-up: from launching a worker to the end of a task queued before it (here, then
    # again for the two workers below).
    marks = work / f"{config.name}-marks-start"
    marks.mkdir()
    for number in range(args.starts):
        enqueue(str(marks), number)
        launched = time.time()
        worker = Worker(config, location, log)
        try:
            wait_for(marks, number + 1, worker, timeout=120)
        finally:
            worker.stop()
        result.startups.append(ran_at(marks, number) - launched)

    # Resident memory once idle, then latency on the idle worker.
    marks = work / f"{config.name}-marks-latency"
    marks.mkdir()
    enqueue(str(marks), 0)
    launched = time.time()
    worker = Worker(config, location, log)
    try:
        wait_for(marks, 1, worker, timeout=120)
        result.startups.append(ran_at(marks, 0) - launched)
        time.sleep(1.0)
        result.idle_rss_mb = worker.rss_mb()

        # Latency on an idle worker; its CPU meanwhile (idle but for these few tasks).
        settle = HUEY_SETTLE if (config.library, config.store) == ("huey", "sqlite") else OTHERS_SETTLE
        cpu, clock = worker.cpu_seconds(), time.monotonic()
        for number in range(1, args.idle_samples + 1):
            time.sleep(settle + random.random())
            enqueued = time.time()
            enqueue(str(marks), number)
            wait_for(marks, number + 1, worker, timeout=30, interval=0.01)
            result.latencies_ms.append((ran_at(marks, number) - enqueued) * 1000)
        result.idle_cpu = (worker.cpu_seconds() - cpu) / (time.monotonic() - clock)
    finally:
        worker.stop()

    # Throughput: --tasks queued with no worker, then a new worker runs them.
    marks = work / f"{config.name}-marks-drain"
    marks.mkdir()
    for number in range(args.tasks):
        enqueue(str(marks), number)
    launched = time.time()
    worker = Worker(config, location, log)
    try:
        wait_for(marks, args.tasks, worker, timeout=600, interval=0.05)
        result.rss_after_mb = worker.rss_mb()
    finally:
        worker.stop()
    times = [ran_at(marks, number) for number in range(args.tasks)]
    result.startups.append(min(times) - launched)
    result.drain_s = max(times) - min(times)
    result.store_left = store_left(config, location)


def store_left(config: Config, location: str) -> str:
    """What the store holds once every task has run (the SQLite files only)."""
    if config.store != "sqlite":
        return ""
    import sqlite3

    path = location.split("sqlite:///", 1)[1] if "://" in location else location
    table = "task" if config.library == "huey" else "kombu_message"
    with sqlite3.connect(path) as connection:
        (rows,) = connection.execute(f"select count(*) from {table}").fetchone()  # noqa: S608 (our own table name)
    connection.close()
    size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    return f"{rows:,} rows left in {table}, {size / 1024:,.0f} KB on disk"


class Setup:
    """A configuration's stores in this run: one for the enqueue rounds, whose tasks never
    run, and one for the end-to-end measurements."""

    def __init__(self, config: Config, work: Path, redis_url: Callable[[int], str]) -> None:
        self.config, self.work, self.redis_url = config, work, redis_url
        self.result = Result(config)
        self.never_run = work / f"{config.name}-never-run"
        self.never_run.mkdir()
        self.enqueue = enqueuer(config, self.location("enqueue"))
        for number in range(WARMUP):  # connections opened, code paths warm, as in a served app
            self.enqueue(str(self.never_run), number)

    def location(self, phase: str) -> str:
        config = self.config
        if config.store == "redis":  # a database number of its own per configuration and phase
            return self.redis_url(2 * CONFIGS.index(config) + (1 if phase == "enqueue" else 2))
        path = self.work / f"{config.name}-{phase}.sqlite3"
        return str(path) if config.library == "huey" else f"sqla+sqlite:///{path}"


class OthersMeter:
    """Accumulates the CPU that other processes used over several periods."""

    def __init__(self) -> None:
        self.cpu = self.seconds = self.last = 0.0

    def __enter__(self) -> OthersMeter:
        from benchmarks import serving

        self._others, self._started = serving.OtherJobs(), time.monotonic()
        return self

    def __exit__(self, *exc_info) -> None:
        elapsed = time.monotonic() - self._started
        self.last = self._others.cores()
        self.cpu += self.last * elapsed
        self.seconds += elapsed

    @property
    def cores(self) -> float:
        return self.cpu / max(1e-9, self.seconds)


def disk_commit_us(work: Path, count: int = 50) -> float:
    """The disk's part of an enqueue on SQLite, measured now: median µs of one small
    INSERT committed in a WAL file with SQLite's default synchronous=FULL (an fsync per
    commit, as Huey's SqliteStorage leaves it). The shared disk's speed varies widely."""
    import sqlite3

    path = work / "disk-probe.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("pragma journal_mode=wal")
        connection.execute("create table if not exists probe (id integer primary key, data blob)")
        times = []
        for _ in range(count):
            started = time.perf_counter_ns()
            connection.execute("insert into probe (data) values (?)", (b"x" * 200,))
            times.append((time.perf_counter_ns() - started) / 1000)
    finally:
        connection.close()
    return statistics.median(times)


def enqueue_phase(setups: list[Setup], args, meters: dict[str, OthersMeter]) -> list[float]:
    """``--rounds`` rounds, the configurations in turn and in reverse order every other
    round, so that a disturbance on the shared machine (a disk busy with someone else's
    writes) does not fall on one configuration only."""
    from benchmarks import serving

    count = max(1, args.enqueues // args.rounds)
    disk = []
    for round_number in range(args.rounds):
        disk.append(disk_commit_us(setups[0].work))
        print(f"  round {round_number + 1}: a bare SQLite commit (WAL, fsync) takes {disk[-1]:,.0f} µs now")
        order = setups if round_number % 2 == 0 else setups[::-1]
        for setup in order:
            result = setup.result
            before = len(result.enqueue_us), result.threaded_done, result.threaded_seconds
            with meters[setup.config.name] as meter:
                load = serving.load_average()
                enqueue_round(result, setup.enqueue, count, args, str(setup.never_run))
            timed = result.enqueue_us[before[0] :]
            per_s = (result.threaded_done - before[1]) / (result.threaded_seconds - before[2])
            print(
                f"  round {round_number + 1} {setup.config.label}: median {statistics.median(timed):,.0f} µs, "
                f"p95 {percentile(timed, 0.95):,.0f} µs; {args.threads} threads {per_s:,.0f}/s; "
                f"other jobs {meter.last:.2f} cores; load {load}",
                flush=True,
            )
    disk.append(disk_commit_us(setups[0].work))
    print(f"  after the rounds: a bare SQLite commit (WAL, fsync) takes {disk[-1]:,.0f} µs")
    return disk


def end_to_end_phase(setup: Setup, args, meter: OthersMeter) -> None:
    from benchmarks import serving

    result, config = setup.result, setup.config
    print(f"\n{config.label} (load average {serving.load_average()})", flush=True)
    started = time.monotonic()
    destination = setup.location("e2e")
    with meter:
        measure_end_to_end(result, enqueuer(config, destination), destination, args, setup.work)
    result.other_jobs = meter.cores
    print(
        f"  start-up median {result.startup:.2f} s ({', '.join(f'{s:.2f}' for s in result.startups)}); "
        f"idle RSS {result.idle_rss_mb:.1f} MB, {result.rss_after_mb:.1f} MB after {args.tasks} tasks; "
        f"idle CPU {100 * result.idle_cpu:.2f} % of a core",
        flush=True,
    )
    print(
        f"  idle latency ms: median {result.latency_median:.0f}, p95 {result.latency_p95:.0f}, "
        f"min {min(result.latencies_ms):.0f}, max {max(result.latencies_ms):.0f}; "
        f"{args.tasks} queued tasks in {result.drain_s:.2f} s ({args.tasks / result.drain_s:,.0f}/s)"
        + (f"; {result.store_left}" if result.store_left else ""),
        flush=True,
    )
    if result.threaded_errors:
        print(
            f"  enqueue errors with {args.threads} threads: {result.threaded_errors}, e.g. {result.first_error}"
        )
    print(
        f"  other jobs {meter.cores:.2f} cores over all its measurements; {time.monotonic() - started:.0f} s",
        flush=True,
    )


# -- report ------------------------------------------------------------------------------------


def dependencies(distribution: str) -> list[str]:
    """The installed distributions ``distribution`` requires, recursively (extras left
    out), itself excluded."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen: dict[str, None] = {}
    pending = [distribution]
    while pending:
        name = pending.pop()
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            key = requirement.name.lower().replace("_", "-")
            if key not in seen:
                seen[key] = None
                pending.append(key)
    return sorted(seen)


ROWS: list[tuple[str, str, Callable[[Result, object], float]]] = [
    # (heading, format, value)
    ("enqueue median µs", "{:,.0f}", lambda r, a: r.enqueue_median),
    ("enqueue p95 µs", "{:,.0f}", lambda r, a: r.enqueue_p95),
    ("enqueues/s, N threads", "{:,.0f}", lambda r, a: r.threaded_per_s),
    ("idle latency median ms", "{:,.0f}", lambda r, a: r.latency_median),
    ("idle latency p95 ms", "{:,.0f}", lambda r, a: r.latency_p95),
    ("tasks/s (queued batch)", "{:,.0f}", lambda r, a: a.tasks / r.drain_s),
    ("worker start-up s", "{:.2f}", lambda r, a: r.startup),
    ("worker idle RSS MB", "{:.1f}", lambda r, a: r.idle_rss_mb),
]


def report(results: list[Result], args) -> list[str]:
    baseline = next((r for r in results if r.config.name == BASELINE), None)
    headings = [h.replace("N threads", f"{args.threads} threads") for h, _, _ in ROWS]
    lines = [
        "| configuration | " + " | ".join(headings) + " | other jobs (cores) | needs |",
        "|---|" + "---:|" * (len(ROWS) + 1) + "---|",
    ]
    for result in results:
        cells = [fmt.format(value(result, args)) for _, fmt, value in ROWS]
        lines.append(
            f"| {result.config.label} | "
            + " | ".join(cells)
            + f" | {result.other_jobs:.2f} | {result.config.needs} |"
        )
    if baseline:
        lines += [
            "",
            f"× {baseline.config.label} (same run; above 1 means more time, memory or throughput):",
            "",
        ]
        lines.append("| configuration | " + " | ".join(headings) + " |")
        lines.append("|---|" + "---:|" * len(ROWS))
        for result in results:
            cells = [f"{value(result, args) / max(1e-9, value(baseline, args)):.2f}" for _, _, value in ROWS]
            lines.append(f"| {result.config.label} | " + " | ".join(cells) + " |")
    return lines


def parse_arguments(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--enqueues", type=int, default=2000, help="enqueues timed one by one (and with threads)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="enqueue rounds, configurations in turn")
    parser.add_argument("--threads", type=int, default=8, help="threads enqueueing at once")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks queued before a worker starts")
    parser.add_argument("--starts", type=int, default=3, help="worker start-ups timed (and 2 more)")
    parser.add_argument("--idle-samples", type=int, default=20, help="tasks enqueued on an idle worker")
    parser.add_argument(
        "--config", action="append", choices=[c.name for c in CONFIGS], help="repeatable; default all"
    )
    parser.add_argument("--worker-for", help=argparse.SUPPRESS)
    parser.add_argument("location", nargs="?", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    if args.worker_for:
        run_worker(next(c for c in CONFIGS if c.name == args.worker_for), args.location)
        return 0

    chosen = [c for c in CONFIGS if not args.config or c.name in args.config]
    if not celery_available():
        for config in [c for c in chosen if c.library == "celery"]:
            print(
                f"{config.label} skipped: celery not installed "
                "(pip install --target DIR celery==5.7.0, then run with PYTHONPATH=DIR)"
            )
        chosen = [c for c in chosen if c.library != "celery"]

    from importlib import metadata

    versions = {name: _version(metadata, name) for name in ("huey", "celery", "kombu", "redis", "sqlalchemy")}
    print(
        "versions: " + ", ".join(f"{name} {version}" for name, version in versions.items())
        + f"; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs"
    )  # fmt: skip
    for name in ("huey", "celery"):
        if versions[name] != "not installed":
            needed = dependencies(name)
            print(f"{name} requires {len(needed)} other distribution(s): {', '.join(needed) or 'none'}")
    print("either needs the redis client (redis-py) for Redis, and a Redis server")

    started = time.monotonic()
    redis = None
    with tempfile.TemporaryDirectory(prefix="queue-choice-") as folder:
        work = Path(folder)
        try:
            if any(c.store == "redis" for c in chosen):
                from tests.redis_server import RedisServer

                redis = RedisServer().start()
                print(f"Redis: throwaway server on port {redis.port} ({redis.binary})")
            setups = [Setup(c, work, redis.url if redis else str) for c in chosen]
            meters = {c.name: OthersMeter() for c in chosen}
            print(f"\nEnqueue ({args.rounds} rounds, no worker running):", flush=True)
            disk = enqueue_phase(setups, args, meters)
            for setup in setups:
                end_to_end_phase(setup, args, meters[setup.config.name])
            results = [setup.result for setup in setups]
        finally:
            if redis:
                redis.stop()

    print(
        f"\n{args.enqueues:,} enqueues timed one by one (after {WARMUP} warm-up) and {args.enqueues:,} from "
        f"{args.threads} threads, in {args.rounds} rounds; {args.starts + 2} worker start-ups; "
        f"workers with {WORKER_THREADS} threads; {args.idle_samples} tasks on an idle worker; "
        f"{args.tasks:,} tasks queued before a worker starts\n"
    )
    print("\n".join(report(results, args)))
    print(
        "\nthe disk meanwhile: a bare SQLite commit (WAL, fsync) took "
        + ", ".join(f"{us:,.0f}" for us in disk)
        + " µs (median of 50) before, between and after the enqueue rounds"
    )
    print(f"\nwhole run: {time.monotonic() - started:.0f} s")
    return 0


def _version(metadata, name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    sys.exit(main())
