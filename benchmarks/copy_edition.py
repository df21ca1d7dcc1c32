"""How long copying an edition takes: the demo edition (6 modules, 12 runs, 6 quizzes,
12 material files) copied five times into a throwaway SQLite database.

    .venv/bin/python -m benchmarks.copy_edition [--times 5]

Prints milliseconds and SQL statements per copy (service call and commit, files
included). A figure to watch, not a test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade

from lms import create_app, extensions
from lms.accounts.services import find_user_by_email
from lms.config import TestConfig
from lms.demo import load_demo
from lms.organise.copying import copy_edition, first_day
from lms.organise.editions import find_edition
from tests.helpers import count_queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=5)
    times = parser.parse_args().times
    folder = Path(tempfile.mkdtemp(prefix="copy-edition-"))
    app = create_app(TestConfig(f"sqlite:///{folder / 'bench.sqlite3'}", folder / "instance"))
    db = extensions.db
    with app.app_context():
        upgrade()
        load_demo()
        organiser = find_user_by_email("organiser@demo.example.org")
        source = find_edition("eip-demo")
        print(f"source: {len(source.modules)} modules, {len(source.runs)} runs")
        day = first_day(source)
        for number in range(times):
            with app.test_request_context(), count_queries(app) as counter:
                started = time.perf_counter()
                copy_edition(
                    find_edition("eip-demo"),
                    f"eip-copy-{number}",
                    day + timedelta(weeks=13 + number),
                    organiser,
                )
                db.session.commit()
                elapsed = time.perf_counter() - started
            print(f"copy {number + 1}: {elapsed * 1000:.0f} ms, {counter.count} SQL statements")


if __name__ == "__main__":
    main()
