"""Where a page's time goes: the main pages served in-process (Flask test client, one
request at a time: no server, no network, no concurrency), timed and profiled.

    .venv/bin/python -m benchmarks.profile_pages [--backend sqlite] [--requests 40]
        [--top 12] [--page course --page schedule]

For each page of the 10,000-learner edition (benchmarks/generate.py): CPU milliseconds
per request (process time, the best of three rounds of 30), SQL statements, and a cProfile of the same requests:
its own time summed by where it is spent (SQLAlchemy, the database driver, Jinja and the
templates, Babel, Flask/Werkzeug, the platform's own code, the rest) and the functions
with the most time of their own. The baseline, measured in the same run, is a bare Flask
endpoint (benchmarks/baseline_app.py) served the same way. The response memo is off here
(guests' pages and feeds are rendered as on a first request, from the shared cache
where the app keeps them). A profiler slows Python code down, so the shares matter, not
the profiled milliseconds.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from dataclasses import dataclass

from benchmarks import serving
from benchmarks.generate import generate
from benchmarks.load import SLUG, load_fixture

# Where a function's own time counts, by the first match in its file's path.
AREAS = (
    ("sqlalchemy", "/sqlalchemy/"),
    ("driver", "sqlite3"),
    ("driver", "/psycopg"),
    ("babel", "/babel/"),
    ("jinja", "/jinja2/"),
    ("templates", "/templates/"),
    ("flask", "/flask"),
    ("flask", "/werkzeug/"),
    ("platform", "/lms/"),
)


@dataclass
class Page:
    name: str
    path: str
    signed_in: bool


@dataclass
class Profiled:
    page: Page
    milliseconds: float
    queries: int
    areas: dict[str, float]  # share of the profiled own time, by area
    top: list[tuple[str, float]]  # (function, share of the profiled own time)


def main_pages(fixture) -> list[Page]:
    learner = fixture.learners[0]
    return [
        Page("catalogue", "/", signed_in=False),
        Page("course (guest)", f"/courses/{SLUG}", signed_in=False),
        Page("course (learner)", f"/courses/{SLUG}", signed_in=True),
        Page("module (guest)", f"/courses/{SLUG}/modules/{fixture.module_key}", signed_in=False),
        Page("module (learner)", f"/courses/{SLUG}/modules/{fixture.module_key}", signed_in=True),
        Page("My schedule", "/my/schedule", signed_in=True),
        Page("calendar feed", f"/calendar/{learner.calendar_token}.ics", signed_in=False),
    ]


ROUNDS, REQUESTS = 3, 30


def cpu_ms_per_request(client, path: str) -> float:
    """CPU milliseconds (process time) per request, the best of three rounds: on a
    machine shared with other work the wall clock measures the queue for the cores."""
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(REQUESTS):
            client.get(path).close()
        rounds.append((time.process_time() - started) / REQUESTS * 1000)
    return min(rounds)


def area_of(filename: str) -> str:
    for area, marker in AREAS:
        if marker in filename:
            return area
    return "other"


def profile(browser, path: str, requests: int, top: int) -> tuple[dict[str, float], list[tuple[str, float]]]:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        browser.get(path).close()
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = sum(row[2] for row in stats.values()) or 1.0
    areas: dict[str, float] = defaultdict(float)
    functions = []
    for (filename, line, name), (_, _, own, _, _) in stats.items():
        areas[area_of(filename)] += own / total
        short = filename.rsplit("site-packages/", 1)[-1].removeprefix(f"{serving.ROOT}/")
        functions.append((f"{short}:{line} {name}", own / total))
    functions.sort(key=lambda item: -item[1])
    return dict(areas), functions[:top]


def count_queries(app, browser, path: str) -> int:
    from sqlalchemy import event

    from lms.extensions import db

    with app.app_context():
        engine = db.engine
    statements = []

    def count(conn, cursor, statement, *args) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = browser.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    if response.status_code != 200:
        raise SystemExit(f"{path} answers {response.status_code} in-process")
    return len(statements)


def signed_in_client(app, email: str):
    client = app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    token = serving.CSRF.search(page).group(1)
    client.post("/account/login", data={"csrf_token": token, "email": email, "password": serving.PASSWORD})
    return client


def measure(app, fixture, pages: list[Page], requests: int, top: int) -> tuple[float, list[Profiled]]:
    from benchmarks.baseline_app import app as baseline_app

    serving.give_password(app, [fixture.learners[0].user_id])
    # The app's own cost: a repeated guest question would otherwise be answered by the
    # response memo (lms.caching.memo) without running the app at all.
    app.extensions["lms.memo"].lifetime = 0
    learner, guest = signed_in_client(app, fixture.learners[0].email), app.test_client()
    baseline = cpu_ms_per_request(baseline_app.test_client(), "/")
    results = []
    for page in pages:
        browser = learner if page.signed_in else guest
        browser.get(page.path).close()  # warm: templates, catalogs, the VTIMEZONE
        queries = count_queries(app, browser, page.path)
        milliseconds = cpu_ms_per_request(browser, page.path)
        areas, functions = profile(browser, page.path, requests, top)
        results.append(Profiled(page, milliseconds, queries, areas, functions))
    return baseline, results


def report(backend: str, baseline: float, results: list[Profiled]) -> list[str]:
    names = ["sqlalchemy", "driver", "jinja", "templates", "babel", "flask", "platform", "other"]
    lines = [
        f"## {backend}: in-process CPU ms per request (best of {ROUNDS} × {REQUESTS}), baseline {baseline:.2f} ms",
        "",
        "| page | ms | × baseline | queries | " + " | ".join(f"{name} %" for name in names) + " |",
        "|---|---:|---:|---:|" + "---:|" * len(names),
    ]
    for r in results:
        shares = " | ".join(f"{r.areas.get(name, 0) * 100:.0f}" for name in names)
        lines.append(
            f"| {r.page.name} | {r.milliseconds:.2f} | {r.milliseconds / baseline:.1f} | {r.queries} | {shares} |"
        )
    for r in results:
        lines += ["", f"{r.page.name} ({r.page.path}): the functions with the most own time"]
        lines += [f"  {share * 100:5.1f} %  {name}" for name, share in r.top]
    return lines


def parse_arguments(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=serving.BACKENDS, default="sqlite")
    parser.add_argument("--postgres-url", help="a PostgreSQL server to use instead of a throwaway one")
    parser.add_argument("--requests", type=int, default=40, help="profiled requests per page")
    parser.add_argument("--top", type=int, default=12, help="functions listed per page")
    parser.add_argument("--page", action="append", help="only pages whose name starts with this; repeatable")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    with serving.database(args.backend, args.postgres_url) as url:
        app = serving.benchmark_app(url)
        generate(app, 10_000, SLUG)
        fixture = load_fixture(app, 1)
        pages = [
            page for page in main_pages(fixture)
            if not args.page or any(page.name.startswith(prefix) for prefix in args.page)
        ]  # fmt: skip
        baseline, results = measure(app, fixture, pages, args.requests, args.top)
        serving.dispose(app)
    print("\n".join(report(args.backend, baseline, results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
