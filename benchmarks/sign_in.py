"""Sign-ins per second: learners signing in at once through the real form (GET the page
for its CSRF token, POST email and password), against gunicorn as the burst serves it.

    .venv/bin/python -m benchmarks.sign_in [--backend sqlite] [--learners 300] [--clients 50]
        [--old-hashes]

The learners are new, in an empty database, with the password hashed as the platform
hashes it now (``--old-hashes``: with argon2-cffi's default parameters, 64 MiB, 3 passes,
4 lanes, as every hash made before the OWASP minimum was chosen; each is upgraded at its
first sign-in, so that run measures the check with the old parameters plus the new hash).
Also printed: the CPU time of one password check with each set of parameters, measured
in this process.
"""

from __future__ import annotations

import argparse
import sys
import time

from argon2 import PasswordHasher

from benchmarks import serving
from benchmarks.burst import create_learners, sign_in_all

OLD_PARAMETERS = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}


def check_cost(hasher: PasswordHasher, rounds: int = 10) -> float:
    """Milliseconds of CPU per password check."""
    stored = hasher.hash(serving.PASSWORD)
    started = time.process_time()
    for _ in range(rounds):
        hasher.verify(stored, serving.PASSWORD)
    return (time.process_time() - started) / rounds * 1000


def use_old_hashes(app, slug: str) -> None:
    from sqlalchemy import update

    from lms.accounts.models import User
    from lms.extensions import db

    with app.app_context():
        old = PasswordHasher(**OLD_PARAMETERS).hash(serving.PASSWORD)
        db.session.execute(update(User).where(User.email.like(f"%{slug}%")).values(password_hash=old))
        db.session.commit()


def run_backend(backend: str, args) -> tuple[float, float]:
    """(sign-ins per second, other jobs' cores meanwhile)."""
    with serving.database(backend, args.postgres_url) as url, serving.workdir("lms-sign-in-") as folder:
        if backend == "sqlite":
            url = f"sqlite:///{folder / 'sign-in.sqlite3'}"
        app = serving.benchmark_app(url)
        emails = create_learners(app, args.learners, "bench-sign-in")
        if args.old_hashes:
            use_old_hashes(app, "bench-sign-in")
        serving.dispose(app)
        environment = serving.app_environment(url, folder / "instance")
        server = serving.serve("platform", "wsgi:app", environment, folder, args.workers, args.threads)
        try:
            started, others = time.perf_counter(), serving.OtherJobs()
            sign_in_all(server.base, emails, args.clients)
            seconds = time.perf_counter() - started
            return len(emails) / seconds, others.cores()
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend", action="append", choices=serving.BACKENDS, help="repeatable; default: both"
    )
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=serving.WORKERS)
    parser.add_argument("--threads", type=int, default=serving.THREADS)
    parser.add_argument("--old-hashes", action="store_true", help="argon2-cffi's default parameters")
    parser.add_argument("--postgres-url", help="a PostgreSQL server to use instead of a throwaway one")
    args = parser.parse_args(argv)

    from lms.accounts.services import PASSWORD_HASH_PARAMETERS

    old, new = (
        check_cost(PasswordHasher(**OLD_PARAMETERS)),
        check_cost(PasswordHasher(**PASSWORD_HASH_PARAMETERS)),
    )
    print(
        f"one password check: {old:.1f} ms CPU with {OLD_PARAMETERS}, {new:.1f} ms with {PASSWORD_HASH_PARAMETERS}"
    )
    print("| backend | hashes | learners | clients | sign-ins/s | other jobs (cores) |")
    print("|---|---|---:|---:|---:|---:|")
    for backend in args.backend or list(serving.BACKENDS):
        rate, others = run_backend(backend, args)
        hashes = "old (upgraded at sign-in)" if args.old_hashes else "OWASP minimum"
        print(
            f"| {backend} | {hashes} | {args.learners} | {args.clients} | {rate:.1f} | {others:.2f} |",
            flush=True,
        )
    print(f"load average at the end: {serving.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
