"""Time and memory of the attendance exports (XLSX) of a 10,000-learner edition.

    .venv/bin/python -m benchmarks.exports [--learners 10000] [--repeat 3]

Builds the edition with benchmarks.generate (or reuses it), then measures, each in a
fresh process so that its peak resident memory is its own:

- ``attendance-wide``: one row per learner (the export the target is about), and
  ``attendance``: one row per learner and module, both from the database to XLSX bytes
  as the web download does (the queries, the rows, the file);
- a baseline for each: the same number of rows and columns of constant cells written
  with the same XLSX writer (lms.spreadsheets.workbook_bytes), no database;
- for reference, the same export rows written with openpyxl's write-only mode, the
  writer this project used before.

Seconds are the best of ``--repeat`` runs without tracing; "traced" is the Python heap
peak under tracemalloc (a separate run: tracing slows Python down); "maxrss" is the
process's peak resident memory, interpreter and app included. Ratios are against the
baseline measured in the same run, so they say how much the export adds to the cost
of writing a file of that size, whatever the machine. Target: under 5 s and 300 MB.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from importlib.util import find_spec

CASES = ["baseline-wide", "attendance-wide", "baseline-long", "attendance", "openpyxl-wide", "openpyxl-long"]
TARGET_SECONDS, TARGET_MB = 5.0, 300.0


def _build(app, slug: str, name: str):
    """A callable that produces the XLSX bytes of the case."""
    from flask_babel import force_locale

    from lms.reports import exports
    from lms.reports.data import find_course
    from lms.spreadsheets import Table, workbook_bytes

    export = "attendance" if name in ("attendance", "baseline-long", "openpyxl-long") else "attendance-wide"

    def table() -> Table:
        with app.app_context(), force_locale("vi"):
            return exports.EXPORTS[export].build(find_course(slug))

    if name.startswith("baseline"):
        # The shape of the real export, measured once outside the timing.
        shape = table()
        rows, columns = len(shape.rows), len(shape.header)
        constant = ["Nguyễn Thị Hương"] * (columns - 1) + [1]

        def run():
            return workbook_bytes([Table("Baseline", [f"c{i}" for i in range(columns)], [constant] * rows)])

        return run
    if name.startswith("openpyxl"):
        return lambda: _openpyxl_bytes(table())
    return lambda: workbook_bytes([table()])


def _openpyxl_bytes(table) -> bytes:
    import io

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.title[:31])
    sheet.freeze_panes = "A2"
    sheet.append(list(table.header))
    for row in table.rows:
        sheet.append(row)
    sheet.auto_filter.ref = f"A1:Z{len(table.rows) + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def measure_case(name: str, slug: str, repeat: int) -> dict:
    from benchmarks.generate import benchmark_app

    app = benchmark_app()
    run = _build(app, slug, name)
    data = run()  # warm up: imports, the compiled queries, the page cache
    seconds = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        data = run()
        seconds.append(time.perf_counter() - started)
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    gc.collect()
    tracemalloc.start()
    run()
    traced_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return {"case": name, "seconds": min(seconds), "traced_mb": traced_mb, "maxrss_mb": maxrss_mb,
            "bytes": len(data)}  # fmt: skip


def run_case(name: str, slug: str, repeat: int) -> dict:
    # Our own module with our own arguments: a fresh process, so its peak memory is its own.
    output = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "benchmarks.exports", "--case", name, "--slug", slug, "--repeat", str(repeat)],
        check=True, capture_output=True, text=True, env=os.environ.copy(),
    )  # fmt: skip
    return json.loads(output.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--slug", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--cases", default=",".join(CASES), help="comma-separated subset of: " + ", ".join(CASES)
    )
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    slug = args.slug or f"bench-{args.learners}"
    if args.case:
        print(json.dumps(measure_case(args.case, slug, args.repeat)))
        return 0

    from benchmarks.generate import benchmark_app, generate

    app = benchmark_app()
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    for line in generate(app, args.learners, slug).lines():
        print(line)
    # openpyxl comes with the test requirements; without it the reference rows are skipped.
    wanted = set(args.cases.split(",")) | {"baseline-wide", "baseline-long"}
    cases = [
        name
        for name in CASES
        if name in wanted and (find_spec("openpyxl") or not name.startswith("openpyxl"))
    ]
    results = {name: run_case(name, slug, args.repeat) for name in cases}
    print(f"\n{'case':18} {'seconds':>8} {'× base':>7} {'traced MB':>10} {'× base':>7} {'maxrss MB':>10} {'× base':>7} {'file MB':>8}")  # fmt: skip
    failed = False
    for name in cases:
        result = results[name]
        base = results["baseline-long" if name.endswith("long") or name == "attendance" else "baseline-wide"]
        print(
            f"{name:18} {result['seconds']:8.2f} {result['seconds'] / base['seconds']:7.2f} "
            f"{result['traced_mb']:10.1f} {result['traced_mb'] / max(base['traced_mb'], 0.1):7.2f} "
            f"{result['maxrss_mb']:10.0f} {result['maxrss_mb'] / base['maxrss_mb']:7.2f} {result['bytes'] / 1e6:8.2f}"
        )
        if name in ("attendance-wide", "attendance"):
            failed |= result["seconds"] > TARGET_SECONDS or result["maxrss_mb"] > TARGET_MB
    verdict = "within" if not failed else "OVER"
    print(f"\ntarget: attendance exports under {TARGET_SECONDS:.0f} s and {TARGET_MB:.0f} MB: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
