"""Backing up and restoring the platform: the database and the uploaded files, in one file.

A backup is a gzip-compressed tar archive:

    manifest.json         format, version, backend, Alembic revision, when, what is inside
    database.sqlite3      SQLite: a copy made with the online backup API, or
    database.pgdump       PostgreSQL: ``pg_dump --format=custom``
    materials/...         every stored material file, under its storage key

The database is copied first and the files after it: stored files are never changed
or removed once committed, so every file the copied rows refer to is in the archive,
even while the platform keeps serving (a file uploaded meanwhile is simply extra).

Restoring checks the whole archive before it changes anything; a file that is not a
backup of this kind, of another backend, or of a newer schema is refused untouched.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess  # pg_dump and pg_restore, with argument lists  # nosec B404
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from lms.caching import announce_everything_changed
from lms.extensions import db

FORMAT = "eip-lms-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MATERIALS = "materials"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Uploads still being received are not part of the platform's data.
SKIPPED_FOLDERS = {".incoming"}


class BackupError(Exception):
    """A backup or restore could not be done; nothing was changed."""


@dataclass(frozen=True)
class Summary:
    path: Path
    backend: str
    revision: str | None
    created_at: str
    files: int
    size: int
    seconds: float


# -- where things are -----------------------------------------------------------------


def database_url() -> URL:
    return db.engine.url


def backend_name(url: URL) -> str:
    name = url.get_backend_name()
    if name not in DATABASE_MEMBER:
        raise BackupError(f"backups of {name} databases are not supported")
    return name


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("the SQLite database is in memory; there is nothing on disk to back up")
    return Path(url.database)


def materials_root() -> Path:
    return Path(current_app.config["MATERIALS_STORAGE_PATH"]).resolve()


def postgresql_revision() -> str | None:
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None  # never migrated
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def sqlite_revision(path: Path) -> str | None:
    with closing_sqlite(f"file:{path}?mode=ro", uri=True) as copy:
        try:
            row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # never migrated: no such table
            return None
    return row[0] if row else None


def find_pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: LMS_PG_BINDIR, then PATH, then the newest Debian install."""
    folders = [os.environ.get("LMS_PG_BINDIR", "")]
    on_path = shutil.which(name)
    if on_path:
        folders.append(str(Path(on_path).parent))
    folders += sorted(
        (str(path) for path in Path("/usr/lib/postgresql").glob("*/bin")),
        key=lambda folder: int(Path(folder).parent.name) if Path(folder).parent.name.isdigit() else 0,
        reverse=True,
    )
    for folder in folders:
        if folder and (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    raise BackupError(f"{name} was not found (install the postgresql-client package or set LMS_PG_BINDIR)")


def pg_connection_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for the PostgreSQL tools.

    The password goes in the environment only: a command line is visible to every
    user of the machine (``ps``).
    """
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    environment = {**os.environ, "PGCONNECT_TIMEOUT": "30"}
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    if "sslmode" in url.query:
        environment["PGSSLMODE"] = str(url.query["sslmode"])
    return args, environment


def run_pg_tool(command: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    # The arguments are built above from the configured URL, never from a shell string.
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


# -- backing up ------------------------------------------------------------------------


def backup(target: Path) -> Summary:
    """Write a backup of the database and the material files to ``target``."""
    started = time.perf_counter()
    url = database_url()
    backend = backend_name(url)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lms-backup-", dir=target.parent) as folder:
        dump = Path(folder) / DATABASE_MEMBER[backend]
        if backend == "sqlite":
            copy_sqlite(sqlite_path(url), dump)
            revision = sqlite_revision(dump)  # of the copy itself
        else:
            revision = postgresql_revision()
            dump_postgresql(url, dump)
        files = list(material_files(materials_root()))
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "backend": backend,
            "revision": revision,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": DATABASE_MEMBER[backend],
            "files": len(files),
        }
        partial = Path(folder) / "backup.tar.gz"
        write_archive(partial, manifest, dump, files)
        partial.chmod(0o600)  # it holds password hashes and every learner's details
        os.replace(partial, target)  # a reader never sees half an archive
    return Summary(
        target, backend, revision, manifest["created_at"], len(files), target.stat().st_size,
        time.perf_counter() - started,
    )  # fmt: skip


def copy_sqlite(source: Path, copy: Path) -> None:
    """A consistent copy while the app keeps writing (SQLite's online backup API)."""
    if not source.exists():
        raise BackupError(f"the SQLite database {source} does not exist")
    with closing_sqlite(f"file:{source}?mode=ro", uri=True) as live, closing_sqlite(copy) as out:
        live.backup(out)


def dump_postgresql(url: URL, dump: Path) -> None:
    args, environment = pg_connection_args(url)
    command = [find_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(dump), *args]
    run_pg_tool(command, environment)


def material_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Each stored file and its name in the archive."""
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and relative.parts[0] not in SKIPPED_FOLDERS:
            yield path, f"{MATERIALS}/{relative.as_posix()}"


def write_archive(archive: Path, manifest: dict, dump: Path, files: list[tuple[Path, str]]) -> None:
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        data = json.dumps(manifest, indent=2).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
        tar.addfile(info, io.BytesIO(data))
        tar.add(dump, arcname=manifest["database"], recursive=False)
        for path, name in files:
            tar.add(path, arcname=name, recursive=False)


# -- restoring -------------------------------------------------------------------------


def describe(source: Path) -> dict:
    """The manifest of a backup, after checking that the file is one this app can restore."""
    manifest = read_manifest(Path(source))
    backend = backend_name(database_url())
    if manifest["backend"] != backend:
        raise BackupError(
            f"this is a backup of a {manifest['backend']} database, but the platform now uses "
            f"{backend}; restore it into a {manifest['backend']} database"
        )
    revision = manifest.get("revision")
    if revision is not None and not known_revision(revision):
        raise BackupError(
            f"this backup's schema ({revision}) is newer than this version of the platform knows; "
            "restore it with the version that made it"
        )
    return manifest


def read_manifest(source: Path) -> dict:
    not_a_backup = BackupError(f"{source} is not a backup made by `flask lms backup`")
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    try:
        with tarfile.open(source, "r:gz") as tar:
            member = tar.getmember(MANIFEST)
            handle = tar.extractfile(member)
            manifest = json.loads(handle.read(64 * 1024)) if handle else None
            names = set(tar.getnames())
    except (tarfile.TarError, KeyError, OSError, EOFError, ValueError):
        raise not_a_backup from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise not_a_backup
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"{source} is a backup in format version {manifest.get('version')}; expected {FORMAT_VERSION}"
        )
    if manifest.get("backend") not in DATABASE_MEMBER or DATABASE_MEMBER[manifest["backend"]] not in names:
        raise BackupError(f"{source} holds no database dump")
    return manifest


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def known_revision(revision: str) -> bool:
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except CommandError:
        return False


def restore(source: Path) -> Summary:
    """Replace the database and the material files with those of a backup.

    Everything is unpacked and checked first; only then is the database replaced (in
    one transaction on PostgreSQL, one backup step on SQLite) and the files swapped in.
    """
    started = time.perf_counter()
    source = Path(source)
    manifest = describe(source)
    url = database_url()
    root = materials_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    # Unpacked beside the storage folder, so the final swap is a rename on one file system.
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=root.parent) as folder:
        unpacked, previous = Path(folder) / "archive", Path(folder) / "previous"
        unpack(source, unpacked)
        dump = unpacked / manifest["database"]
        if manifest["backend"] == "sqlite":
            check_sqlite_copy(dump)
        else:
            check_postgresql_dump(dump)
        db.session.remove()
        db.engine.dispose()  # no connection of ours holds a lock while the database is replaced
        if manifest["backend"] == "sqlite":
            restore_sqlite(dump, sqlite_path(url))
        else:
            restore_postgresql(url, dump)
        files = swap_materials(unpacked / MATERIALS, root, previous)
    announce_everything_changed()  # replaced beneath the engine: its writes were not seen
    return Summary(
        source, manifest["backend"], manifest.get("revision"), manifest["created_at"], files,
        source.stat().st_size, time.perf_counter() - started,
    )  # fmt: skip


def unpack(source: Path, folder: Path) -> None:
    try:
        with tarfile.open(source, "r:gz") as tar:
            # The "data" filter refuses absolute paths, "..", links out of the folder
            # and device files: an archive cannot write outside ``folder``.
            tar.extractall(folder, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{source} could not be unpacked: {error}") from None


def check_sqlite_copy(path: Path) -> None:
    try:
        with closing_sqlite(f"file:{path}?mode=ro", uri=True) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            copy.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the database in the backup is damaged: {error}") from None
    if verdict != "ok":
        raise BackupError(f"the database in the backup is damaged: {verdict}")


def restore_sqlite(copy: Path, live: Path) -> None:
    live.parent.mkdir(parents=True, exist_ok=True)
    # The backup API writes the copy's pages into the live file under SQLite's own
    # locks: a worker still connected sees the old or the new database, never a mix.
    with closing_sqlite(copy) as source, closing_sqlite(live) as target:
        source.backup(target)


def check_postgresql_dump(dump: Path) -> None:
    listing = run_pg_tool([find_pg_tool("pg_restore"), "--list", str(dump)], dict(os.environ))
    if "alembic_version" not in listing.stdout:
        raise BackupError("the database dump in the backup is not of this platform")


def restore_postgresql(url: URL, dump: Path) -> None:
    args, environment = pg_connection_args(url)
    command = [
        find_pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",  # all or nothing
        "--exit-on-error",
        *args,
        str(dump),
    ]
    run_pg_tool(command, environment)


def swap_materials(restored: Path, root: Path, previous: Path) -> int:
    """Put the restored files in place of the current ones; return how many there are."""
    restored.mkdir(exist_ok=True)
    if root.exists():
        os.replace(root, previous)  # removed with the temporary folder
    os.replace(restored, root)
    return sum(1 for path in root.rglob("*") if path.is_file())


@contextmanager
def closing_sqlite(database: str | Path, uri: bool = False) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(str(database), uri=uri)
    try:
        yield connection
    finally:
        connection.close()
