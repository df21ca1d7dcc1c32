"""Load benchmark: the main pages served by gunicorn on SQLite and PostgreSQL with the
10,000-learner edition, against a bare Flask endpoint served the same way.

    .venv/bin/python -m benchmarks.load [--backend sqlite --backend postgresql]
        [--clients 16] [--duration 8] [--warmup 2] [--baseline-duration 4] [--quick]
        [--page course --page schedule ...]

For each backend: the data set (benchmarks/generate.py; SQLite's file is reused between
runs, PostgreSQL is a throwaway server filled anew), then the platform and the baseline
app, each under gunicorn with the same workers, threads and keep-alive. N clients, each a
thread with its own keep-alive connection and cookies (signed in as its own learner),
request one page as fast as the server answers, for a warm-up and then a measured
period. Printed per page: requests per second, 95th-percentile latency, both as ratios
to the baseline measured right before and right after it (averaged), errors
(non-2xx or no answer), its size, and, measured in-process with the Flask test client one
request at a time, the SQL statements it runs and its milliseconds per request (what the
app costs without server, network or concurrency; the baseline's too). "server CPU ms"
and "database CPU ms" are what gunicorn's processes and (on PostgreSQL) the database
server's used per request while the page was asked, read from /proc: on two shared cores
both count. "client CPU" is the load generator's own share of one core, "other jobs" the
cores that processes other than the benchmark's used meanwhile (the machine may be
shared).

Pages are asked as a guest (no cookie), signed in (the learner's cookie) and, for the
responses with an ETag, again with ``If-None-Match`` (each client keeps the tag of its
first answer, so it is answered 304 while nothing changes); every request accepts gzip,
as browsers do. Aims (issue 17): guests' public pages at least 0.30 of the baseline's
throughput, any 304 at least 0.50, the personal calendar feed at least 0.20, My
schedule (signed in) 0.10; no errors.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks import serving
from benchmarks.generate import generate

SLUG = "bench-10000"
ACCEPT = {"Accept-Encoding": "gzip"}  # as every browser and calendar app asks


@dataclass
class Page:
    name: str
    path: Callable[[int, int], str]  # (client number, request number) -> path
    signed_in: bool  # send the learner's session cookie (guests and feeds go without)
    aim: float | None = None  # throughput as a share of the baseline's
    revalidate: bool = False  # send If-None-Match with the tag of the client's first answer
    group: str = ""  # the page it is a way of asking for (--page)

    def __post_init__(self) -> None:
        self.group = self.group or self.name.split(",")[0]

    def answered(self, status: int) -> bool:
        return 200 <= status < 300 or (self.revalidate and status == 304)


@dataclass
class Measurement:
    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)  # 0: no answer (see failures)
    failures: dict[str, int] = field(default_factory=dict)  # why there was no answer
    body_bytes: int = 0
    client_cpu: float = 0.0
    other_jobs: float = 0.0  # cores used by processes other than the benchmark's
    asked: int = 0  # requests sent, the warm-up's included (what the servers' CPU served)
    server_ms: float = 0.0  # gunicorn's CPU per request (its master and workers)
    database_ms: float | None = None  # the PostgreSQL server's CPU per request (SQLite: None)

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def p95_ms(self) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=20)[-1] * 1000

    @property
    def average_bytes(self) -> int:
        return self.body_bytes // max(1, len(self.latencies))


@dataclass
class Learner:
    user_id: int
    email: str
    calendar_token: str


@dataclass
class Fixture:
    """What the pages need from the data set."""

    learners: list[Learner]
    module_key: str
    codes: list[str]


# -- the data ----------------------------------------------------------------------------


def load_fixture(app, clients: int) -> Fixture:
    """Learners who hold seats and a certificate (the fullest "My schedule"), one per
    client, a module, and certificate codes in their printed form."""
    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.catalogue.models import Course, Module
    from lms.certificates.models import Certificate
    from lms.certificates.services import display_code
    from lms.extensions import db

    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == SLUG))
        rows = db.session.execute(
            select(User.id, User.email, User.calendar_token)
            .join(Certificate, Certificate.user_id == User.id)
            .where(Certificate.course_id == course_id)
            .order_by(User.id)
            .limit(clients)
        ).all()
        module_key = db.session.scalar(
            select(Module.key).where(Module.course_id == course_id).order_by(Module.position).limit(1)
        )
        codes = db.session.scalars(
            select(Certificate.code)
            .where(Certificate.course_id == course_id)
            .order_by(Certificate.id)
            .limit(500)
        ).all()
    if len(rows) < clients:
        raise SystemExit(f"only {len(rows)} learners with a certificate: use fewer --clients")
    return Fixture([Learner(*row) for row in rows], module_key, [display_code(code) for code in codes])


def pages(fixture: Fixture) -> list[Page]:
    learners, codes = fixture.learners, fixture.codes
    course, module = f"/courses/{SLUG}", f"/courses/{SLUG}/modules/{fixture.module_key}"
    feed = lambda c, i: f"/calendar/{learners[c].calendar_token}.ics"  # noqa: E731 (each client's own)
    verify = lambda c, i: f"/verify/{codes[(c * 37 + i) % len(codes)]}"  # noqa: E731 (500 codes in turn)
    own_code = lambda c, i: f"/verify/{codes[c % len(codes)]}"  # noqa: E731 (one per client: it keeps the tag)
    api = f"/api/v1/courses/{SLUG}"
    return [
        Page("catalogue, guest", lambda c, i: "/", signed_in=False, aim=0.30),
        Page("catalogue, guest, 304", lambda c, i: "/", signed_in=False, aim=0.50, revalidate=True),
        Page("course, guest", lambda c, i: course, signed_in=False, aim=0.30),
        Page("course, guest, 304", lambda c, i: course, signed_in=False, aim=0.50, revalidate=True),
        Page("course, signed in", lambda c, i: course, signed_in=True),
        Page("module, guest", lambda c, i: module, signed_in=False, aim=0.30),
        Page("module, guest, 304", lambda c, i: module, signed_in=False, aim=0.50, revalidate=True),
        Page("module, signed in", lambda c, i: module, signed_in=True),
        Page("schedule, signed in", lambda c, i: "/my/schedule", signed_in=True, aim=0.10),
        Page("calendar feed", feed, signed_in=False, aim=0.20),
        Page("calendar feed, 304", feed, signed_in=False, aim=0.50, revalidate=True),
        Page("verify, guest", verify, signed_in=False, aim=0.30),
        Page("verify, guest, 304", own_code, signed_in=False, aim=0.50, revalidate=True),
        Page("api", lambda c, i: api, signed_in=False),
        Page("api, 304", lambda c, i: api, signed_in=False, aim=0.50, revalidate=True),
    ]


@dataclass
class InProcess:
    """A page served by the Flask test client, one request at a time: no server, no
    network, no concurrency; what the app itself costs."""

    queries: int
    milliseconds: float


IN_PROCESS_REQUESTS = 30


def in_process(app, fixture: Fixture, targets: list[Page]) -> dict[str, InProcess]:
    """SQL statements and milliseconds per request of each page, and of the baseline app."""
    from sqlalchemy import event

    from benchmarks.baseline_app import app as baseline_app
    from lms.extensions import db

    client = app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    token = serving.CSRF.search(page).group(1)
    login = {"csrf_token": token, "email": fixture.learners[0].email, "password": serving.PASSWORD}
    client.post("/account/login", data=login)
    guest = app.test_client()
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    results = {"baseline": InProcess(0, time_requests(baseline_app.test_client(), lambda i: "/") * 1000)}
    for target in targets:
        browser = client if target.signed_in else guest
        first = browser.get(target.path(0, 0), headers=ACCEPT)  # warm: templates, catalogs, caches
        headers = dict(ACCEPT)
        if target.revalidate:
            headers["If-None-Match"] = first.headers["ETag"]
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = browser.get(target.path(0, 0 if target.revalidate else 1), headers=headers)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        if not target.answered(response.status_code) or (target.revalidate and response.status_code != 304):
            raise SystemExit(f"{target.name} ({target.path(0, 1)}) answers {response.status_code} in-process")
        seconds = time_requests(
            browser, lambda i, target=target: target.path(0, 0 if target.revalidate else i), headers
        )
        results[target.name] = InProcess(len(statements), seconds * 1000)
    return results


def time_requests(client, path_of: Callable[[int], str], headers: dict | None = None) -> float:
    """Seconds per request, the fastest of three rounds (the others had company)."""
    rounds = []
    for _ in range(3):
        started = time.perf_counter()
        for i in range(IN_PROCESS_REQUESTS):
            client.get(path_of(i), headers=headers or {}).close()
        rounds.append((time.perf_counter() - started) / IN_PROCESS_REQUESTS)
    return min(rounds)


# -- the load ------------------------------------------------------------------------------


def hammer(clients: list[serving.Client], page: Page, warmup: float, duration: float) -> Measurement:
    """Every client requests the page in a loop; answers completed in the measured
    period count (a request started in the warm-up and ending after it counts too)."""
    start = time.monotonic() + 0.2
    measure_from, until = start + warmup, start + warmup + duration
    measurement = Measurement(page.name, duration)
    lock = threading.Lock()

    def work(number: int, client: serving.Client) -> None:
        latencies, errors, statuses, failures, size, i = [], 0, {}, {}, 0, 0
        tags: dict[str, str] = {}  # path -> the ETag of its first answer (revalidating pages)
        while time.monotonic() < start:
            time.sleep(0.001)
        while True:
            began = time.perf_counter()
            if time.monotonic() >= until:
                break
            failure, path = "", page.path(number, i)
            headers = dict(ACCEPT)
            if path in tags:
                headers["If-None-Match"] = tags[path]
            try:
                status, data, response = client.request("GET", path, cookies=page.signed_in, headers=headers)
                if page.revalidate and status == 200 and response.getheader("ETag"):
                    tags[path] = response.getheader("ETag")
            except OSError as error:  # no answer: refused, timed out, dropped twice
                status, data, failure = 0, b"", serving.failure_reason(error)
            ended = time.monotonic()
            i += 1
            if measure_from <= ended < until:
                statuses[status] = statuses.get(status, 0) + 1
                if page.answered(status):
                    latencies.append(time.perf_counter() - began)
                    size += len(data)
                else:
                    errors += 1
                    if failure:
                        failures[failure] = failures.get(failure, 0) + 1
        with lock:
            measurement.asked += i
            measurement.latencies.extend(latencies)
            measurement.errors += errors
            measurement.body_bytes += size
            for status, count in statuses.items():
                measurement.statuses[status] = measurement.statuses.get(status, 0) + count
            for failure, count in failures.items():
                measurement.failures[failure] = measurement.failures.get(failure, 0) + count

    threads = [threading.Thread(target=work, args=(number, client)) for number, client in enumerate(clients)]
    cpu, others = time.process_time(), serving.OtherJobs()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    measurement.client_cpu = (time.process_time() - cpu) / (warmup + duration + 0.2)
    measurement.other_jobs = others.cores()
    return measurement


def in_parallel(function, items) -> list:
    """Run function(item) on threads (sign-ins are slow on purpose: argon2)."""
    results: list = [None] * len(items)
    failures: list[BaseException] = []

    def run(index, item) -> None:
        try:
            results[index] = function(item)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(index, item)) for index, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


def signed_in_clients(base: str, learners: list[Learner]) -> list[serving.Client]:
    def sign_in(learner: Learner) -> serving.Client:
        client = serving.Client(base)
        client.sign_in(learner.email)
        return client

    return in_parallel(sign_in, learners)


# -- a backend's run ----------------------------------------------------------------------------


@dataclass
class Compared:
    """A page and the baseline measured right before and right after it."""

    page: Measurement
    before: Measurement
    after: Measurement

    @property
    def baseline_rps(self) -> float:
        return (self.before.rps + self.after.rps) / 2

    @property
    def baseline_p95(self) -> float:
        return (self.before.p95_ms + self.after.p95_ms) / 2

    @property
    def ratio(self) -> float:
        return self.page.rps / self.baseline_rps


@dataclass
class BackendResult:
    backend: str
    load_before: str
    baselines: list[Measurement]
    pages: list[Measurement]
    in_process: dict[str, InProcess]

    def compared(self) -> list[Compared]:
        return [Compared(page, self.baselines[i], self.baselines[i + 1]) for i, page in enumerate(self.pages)]


def run_backend(backend: str, args) -> BackendResult:
    with serving.database(backend, args.postgres_url) as url, serving.workdir("lms-load-") as folder:
        print(f"[{backend}] preparing the data set …", flush=True)
        app = serving.benchmark_app(url)
        report = generate(app, args.learners, SLUG)
        print(f"[{backend}] " + " ".join(report.lines()), flush=True)
        fixture = load_fixture(app, args.clients)
        serving.give_password(app, [learner.user_id for learner in fixture.learners])
        targets = [page for page in pages(fixture) if not args.page or page.group in args.page]
        measured_in_process = in_process(app, fixture, targets)
        serving.dispose(app)

        environment = serving.app_environment(url, folder / "instance")
        platform = serving.serve("platform", "wsgi:app", environment, folder, args.workers, args.threads)
        baseline = serving.serve(
            "baseline", "benchmarks.baseline_app:app", {}, folder, args.workers, args.threads
        )
        try:
            clients = signed_in_clients(platform.base, fixture.learners)
            plain = [serving.Client(baseline.base) for _ in range(args.clients)]
            home = Page("baseline", lambda c, i: "/", signed_in=False)
            load_before = serving.load_average()
            print(
                f"[{backend}] {args.clients} clients signed in, load average {load_before}; measuring …",
                flush=True,
            )
            # The baseline runs before and after every page, so that each page is compared
            # with what the shared machine gave just then.
            baselines = [hammer(plain, home, args.warmup, args.baseline_duration)]
            measured = []
            for page in targets:
                measured.append(measured_with_servers_cpu(platform, clients, page, args))
                baselines.append(hammer(plain, home, args.warmup, args.baseline_duration))
                print(
                    f"[{backend}]   {page.name}: {measured[-1].rps:.0f} requests/s "
                    f"(baseline {baselines[-2].rps:.0f} / {baselines[-1].rps:.0f})",
                    flush=True,
                )
            for client in clients + plain:
                client.close()
        finally:
            platform.stop()
            baseline.stop()
        problems = platform.tracebacks()
        if problems:
            print(f"[{backend}] the server logged errors:\n{problems[-3000:]}", file=sys.stderr)
        return BackendResult(backend, load_before, baselines, measured, measured_in_process)


def measured_with_servers_cpu(platform: serving.Server, clients, page: Page, args) -> Measurement:
    """The page hammered, with the CPU that gunicorn and (on PostgreSQL) the database
    server spent per request meanwhile: on two shared cores the database server's share
    is part of what a page costs."""
    servers = {"roots": {platform.process.pid}}, {"markers": serving.OWN_PROCESS_MARKERS}
    before = [serving.cpu_seconds(**which) for which in servers]
    measurement = hammer(clients, page, args.warmup, args.duration)
    after = [serving.cpu_seconds(**which) for which in servers]
    asked = max(1, measurement.asked)
    measurement.server_ms = (after[0] - before[0]) / asked * 1000
    if serving.OWN_PROCESS_MARKERS:
        measurement.database_ms = (after[1] - before[1]) / asked * 1000
    return measurement


# -- the report -----------------------------------------------------------------------------


def table(results: list[BackendResult], aims: dict[str, float]) -> list[str]:
    lines = [
        "| backend | page | requests/s | p95 ms | baseline requests/s | throughput × baseline | aim | p95 × baseline "
        "| errors | queries | in-process ms | server CPU ms | database CPU ms | KB | client CPU | other jobs (cores) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        alone = result.in_process["baseline"]
        rates = [m.rps for m in result.baselines]
        lines.append(
            f"| {result.backend} | baseline ({len(rates)}×) | {statistics.fmean(rates):,.0f} "
            f"| {statistics.fmean(m.p95_ms for m in result.baselines):.1f} | {min(rates):,.0f}–{max(rates):,.0f} "
            f"| | | | {sum(m.errors for m in result.baselines)} | 0 | {alone.milliseconds:.2f} | | "
            f"| {result.baselines[0].average_bytes / 1024:.1f} "
            f"| {statistics.fmean(m.client_cpu for m in result.baselines):.0%} "
            f"| {statistics.fmean(m.other_jobs for m in result.baselines):.2f} |"
        )
        for c in result.compared():
            m, alone = c.page, result.in_process[c.page.name]
            aim = aims.get(m.name)
            flag = "" if aim is None or c.ratio >= aim else " ⚠"
            lines.append(
                f"| {result.backend} | {m.name} | {m.rps:,.0f} | {m.p95_ms:.1f} | {c.baseline_rps:,.0f} "
                f"| {c.ratio:.2f}{flag} | {'' if aim is None else f'≥ {aim:.2f}'} "
                f"| {m.p95_ms / c.baseline_p95:.1f} | {m.errors} | {alone.queries} "
                f"| {alone.milliseconds:.2f} | {m.server_ms:.2f} "
                f"| {'–' if m.database_ms is None else f'{m.database_ms:.2f}'} "
                f"| {m.average_bytes / 1024:.1f} | {m.client_cpu:.0%} | {m.other_jobs:.2f} |"
            )
    return lines


def verdict(results: list[BackendResult], aims: dict[str, float]) -> list[str]:
    lines = []
    for result in results:
        slow = [c.page.name for c in result.compared() if c.page.name in aims and c.ratio < aims[c.page.name]]
        errors = {
            m.name: {**m.statuses, **{f"no answer: {why}": n for why, n in m.failures.items()}}
            for m in result.pages + result.baselines
            if m.errors
        }
        lines.append(
            f"{result.backend} (load average {result.load_before} before measuring): "
            + (f"below their aim: {'; '.join(slow)}" if slow else "every page with an aim meets it")
            + (f"; errors: {errors}" if errors else "; no errors")
        )
    return lines


def parse_arguments(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend", action="append", choices=serving.BACKENDS, help="repeatable; default: both"
    )
    parser.add_argument("--page", action="append",
                        choices=["catalogue", "course", "module", "schedule", "calendar feed", "verify", "api"],
                        help="repeatable (every way of asking for it); default: every page")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="1 s warm-up, 3 s per page, 2 s per baseline (about 2 minutes per backend)")  # fmt: skip
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per page (default 8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first (default 2)")
    parser.add_argument(
        "--baseline-duration", type=float, default=4.0, help="measured seconds of each baseline (default 4)"
    )
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=serving.WORKERS)
    parser.add_argument("--threads", type=int, default=serving.THREADS)
    parser.add_argument("--postgres-url", help="a PostgreSQL server to use instead of a throwaway one")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    if args.quick:
        args.warmup, args.duration, args.baseline_duration = 1.0, 3.0, 2.0
    backends = args.backend or list(serving.BACKENDS)
    aims = {page.name: page.aim for page in pages(Fixture([], "m", [])) if page.aim is not None}
    started = time.monotonic()
    results = [run_backend(backend, args) for backend in backends]
    print(
        f"\n{args.clients} clients, gunicorn {args.workers} workers × {args.threads} threads (gthread, "
        f"keep-alive {serving.KEEP_ALIVE} s), {args.warmup:g} s warm-up + {args.duration:g} s per page "
        f"and {args.baseline_duration:g} s per baseline, {args.learners:,} learners\n"
    )
    print("\n".join(table(results, aims)))
    print()
    print("\n".join(verdict(results, aims)))
    print(f"\nwhole run: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
