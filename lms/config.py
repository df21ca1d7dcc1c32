"""Configuration read from ``LMS_*`` environment variables.

Every setting has a safe default for `make run` on a laptop; production sets the
environment. Secrets never live in the repository: without ``LMS_SECRET_KEY`` a key
is generated once into the instance folder and reused from there.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"LMS_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value in (None, "") else int(value)


def instance_path() -> Path:
    return Path(env("INSTANCE_PATH") or ROOT / "instance")


def load_or_create_secret_key(folder: Path) -> str:
    """Return the secret key kept in the instance folder, creating it on first start."""
    key_file = folder / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting at once must not write two different keys.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class Config:
    """Settings for running the platform; each reads an ``LMS_*`` variable."""

    def __init__(self, instance: Path | None = None) -> None:
        folder = instance or instance_path()
        self.INSTANCE_PATH = str(folder)
        self.SECRET_KEY = env("SECRET_KEY") or load_or_create_secret_key(folder)
        self.SQLALCHEMY_DATABASE_URI = env("DATABASE_URL") or f"sqlite:///{folder / 'lms.sqlite3'}"
        # SQLite: how long (seconds) a write waits for another writer before giving up.
        self.SQLITE_BUSY_TIMEOUT = float(env("SQLITE_BUSY_TIMEOUT") or 30)
        self.BASE_URL = (env("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")

        self.LANGUAGES = (env("LANGUAGES") or "vi,en").split(",")
        self.BABEL_DEFAULT_LOCALE = self.LANGUAGES[0]
        self.BABEL_DEFAULT_TIMEZONE = "UTC"
        self.BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
        self.DEFAULT_TIMEZONE = env("DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh"

        self.MAIL_FROM = env("MAIL_FROM") or "EIP Training <no-reply@eip-training.example.org>"
        self.MAIL_DIR = env("MAIL_DIR") or str(folder / "mail")
        # Seconds between the attempts to send an email: a day of retries, then failed.
        # Unset: the default; set but empty: no retry at all (a failure is final at once).
        delays = env("MAIL_RETRY_DELAYS", "60,300,900,3600,10800,21600,43200")
        self.MAIL_RETRY_DELAYS = [int(seconds) for seconds in delays.split(",") if seconds.strip()]
        self.SMTP_HOST = env("SMTP_HOST")
        self.SMTP_PORT = env_int("SMTP_PORT", 587)
        self.SMTP_USER = env("SMTP_USER")
        self.SMTP_PASSWORD = env("SMTP_PASSWORD")
        self.SMTP_STARTTLS = env_bool("SMTP_STARTTLS", True)
        self.SMTP_TIMEOUT = env_int("SMTP_TIMEOUT", 30)
        # How long a worker's claim on a batch of email lasts without renewal: a live
        # worker renews it as it works through the batch (every third of it), so it
        # must outlast one message at worst (a few times SMTP_TIMEOUT); a killed
        # worker's batch is free again after it.
        self.MAIL_LEASE_SECONDS = env_int("MAIL_LEASE_SECONDS", 300)

        # The job queue: a SQLite file beside the database on one machine, Redis for many.
        self.JOBS_URL = env("JOBS_URL") or f"sqlite:///{folder / 'jobs.sqlite3'}"
        self.WORKER_THREADS = env_int("WORKER_THREADS", 2)
        # A job worker's scheduling priority, added to its own (os.nice: 0 unchanged, up
        # to 19 the lowest): above 0, web requests win the cores while both are busy and
        # email catches up when they are not (benchmarks/README.md, "The registration burst").
        self.WORKER_NICE = env_int("WORKER_NICE", 0)
        # Organisers' long jobs (ZIPs, exports): a worker's claim lasts this long and is
        # extended as the job reports progress, so a killed worker's job is taken over
        # by another soon after; an unexpected error is tried again after these delays
        # (seconds), then the job fails; the files made are kept this many hours.
        self.JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 120)
        self.JOB_RETRY_DELAYS = [
            int(seconds) for seconds in (env("JOB_RETRY_DELAYS") or "30,120").split(",") if seconds.strip()
        ]
        self.JOB_RESULT_HOURS = env_int("JOB_RESULT_HOURS", 24)

        # The cache of guests' public pages and of version digests (README, "Caching and
        # HTTP"): in each process by default; redis://host:6379/1 shares one across
        # workers and machines. Entries live CACHE_TIMEOUT seconds at most; guests may
        # see seats left up to GUEST_SEATS_SECONDS old (0: always live).
        self.CACHE_URL = env("CACHE_URL") or ""
        self.CACHE_TIMEOUT = env_int("CACHE_TIMEOUT", 300)
        self.GUEST_SEATS_SECONDS = env_int("GUEST_SEATS_SECONDS", 5)

        self.PASSWORD_RESET_MAX_AGE = env_int("PASSWORD_RESET_MAX_AGE", 3600)
        # Decree 356/2025/ND-CP: days to carry out a learner's request to delete their
        # data (README, "Personal data": operators confirm the figure).
        self.DELETION_DEADLINE_DAYS = env_int("DELETION_DEADLINE_DAYS", 15)
        # Learners are de-identified this many years after the end of their last edition.
        self.RETENTION_YEARS = env_int("RETENTION_YEARS", 5)
        # Where processed deletions are recorded outside the database (re-applied after a
        # backup is restored); default: privacy-ledger.jsonl in the instance folder.
        self.PRIVACY_LEDGER_PATH = env("PRIVACY_LEDGER_PATH") or ""
        self.PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 10)
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI") or "memory://"
        self.RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT") or "10 per minute;50 per hour"
        self.RESET_RATE_LIMIT = env("RESET_RATE_LIMIT") or "5 per minute;20 per hour"
        self.SIGNUP_RATE_LIMIT = env("SIGNUP_RATE_LIMIT") or "10 per minute;100 per hour"

        # Served over HTTPS (LMS_HTTPS=1, or an https:// base URL): cookies only travel
        # encrypted. Behind a reverse proxy, LMS_PROXY_FIX=<number of proxies> makes the
        # app trust their X-Forwarded-* headers (scheme, client address, host).
        self.HTTPS = env_bool("HTTPS", self.BASE_URL.startswith("https://"))
        self.PROXY_FIX = env_int("PROXY_FIX", 0)
        self.HSTS_MAX_AGE = env_int("HSTS_MAX_AGE", 365 * 24 * 3600)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.HTTPS
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

        # Materials trainers upload: kept outside the web root under server-made names.
        self.MATERIALS_STORAGE_PATH = env("MATERIALS_STORAGE_PATH") or str(folder / "materials")
        self.MATERIALS_ALLOWED_TYPES = [
            name.strip().lower()
            for name in (env("MATERIALS_ALLOWED_TYPES") or "pdf,pptx,docx,xlsx,png,jpeg").split(",")
            if name.strip()
        ]
        self.MATERIALS_MAX_BYTES = env_int("MATERIALS_MAX_BYTES", 50 * 1024 * 1024)
        # An office file is a zip: its unpacked size is bounded too (zip bombs).
        self.MATERIALS_MAX_UNPACKED_BYTES = env_int("MATERIALS_MAX_UNPACKED_BYTES", 300 * 1024 * 1024)
        # The whole request may carry the largest material plus the form around it.
        self.MAX_CONTENT_LENGTH = env_int(
            "MAX_CONTENT_LENGTH", max(60 * 1024 * 1024, self.MATERIALS_MAX_BYTES + 1024 * 1024)
        )


class TestConfig(Config):
    """Settings for the test suite: same code paths, throwaway storage."""

    TESTING = True
    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, database_url: str, instance: Path) -> None:
        super().__init__(instance)
        self.SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 (the test suite's key, never used to serve)  # nosec B105
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.MAIL_DIR = str(instance / "mail")
        self.JOBS_URL = f"sqlite:///{instance / 'jobs.sqlite3'}"
        self.BASE_URL = "http://localhost"
        self.RATELIMIT_ENABLED = False
