"""Where material files live: a small interface, and a folder on disk behind it.

Files are kept outside the web root under names the server makes up; the person's
file name is only stored in the database. An upload is first written to a temporary
file (on the same file system, so the final move is atomic) while its size is counted
and its SHA-256 computed; it is checked there and only then moved into place. If the
database transaction that records it does not commit, the stored file is deleted
again, so a failure at any point leaves neither a partial file nor a row.

An object-storage backend is one more ``Storage`` subclass: ``store`` uploads the
checked temporary file, ``open`` streams it back, ``delete`` removes it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

COPY_CHUNK = 1024 * 1024
STALE_AFTER_SECONDS = 24 * 3600
PENDING_KEY = "lms.materials.stored_in_transaction"


class TooLarge(Exception):
    """The stream was longer than allowed; nothing was kept."""


@dataclass(frozen=True)
class Incoming:
    """A received file, complete and hashed, waiting in a temporary file."""

    path: Path
    size: int
    sha256: str


class Storage(ABC):
    """Keeps files under keys the server makes; never under a name a person chose."""

    @abstractmethod
    def temporary_folder(self) -> Path:
        """Where uploads are received before they are checked."""

    @abstractmethod
    def store(self, incoming: Incoming, extension: str) -> str:
        """Move a checked file into storage under a new key, and return the key."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """The stored bytes, for reading (FileNotFoundError if they are gone)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove a stored file; removing a missing one is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @contextmanager
    def receive(self, stream: BinaryIO, max_bytes: int) -> Iterator[Incoming]:
        """Copy ``stream`` into a temporary file, hashing it and stopping past ``max_bytes``.

        The temporary file is removed when the block ends, unless ``store`` moved it.
        """
        folder = self.temporary_folder()
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_parts(folder)
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=folder)
        path = Path(name)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as target:
                while chunk := stream.read(COPY_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge
                    digest.update(chunk)
                    write_chunk(target, chunk)
                target.flush()
                os.fsync(target.fileno())
            yield Incoming(path, size, digest.hexdigest())
        finally:
            path.unlink(missing_ok=True)


def _remove_stale_parts(folder: Path, older_than: float = STALE_AFTER_SECONDS) -> None:
    """Temporary files a killed process left behind (a crash skips ``finally``)."""
    limit = time.time() - older_than
    for path in folder.glob("upload-*.part"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue  # another worker removed it first


def write_chunk(target: BinaryIO, chunk: bytes) -> None:
    """One write to the temporary file (a seam for the interrupted-upload tests)."""
    target.write(chunk)


class LocalStorage(Storage):
    """Files in a folder on this machine, in subfolders by the key's first characters."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def temporary_folder(self) -> Path:
        return self.root / ".incoming"

    def store(self, incoming: Incoming, extension: str) -> str:
        token = secrets.token_hex(16)
        key = f"{token[:2]}/{token}.{extension}"
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(incoming.path, target)  # atomic: the file appears whole or not at all
        _fsync_folder(target.parent)
        return key

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")  # the caller closes it

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path.parent == self.root / ".incoming":
            raise ValueError(f"not a storage key: {key!r}")
        return path


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some file systems cannot open folders; the rename still happened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def init_app(app: Flask) -> None:
    app.extensions["lms.materials.storage"] = LocalStorage(app.config["MATERIALS_STORAGE_PATH"])


def get_storage() -> Storage:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "lms.materials.storage" not in app.extensions:
        init_app(app)
    return app.extensions["lms.materials.storage"]


# -- files and the database transaction --------------------------------------------


def delete_unless_committed(session: Session, storage: Storage, key: str) -> None:
    """Delete the stored file ``key`` if the session's transaction does not commit."""
    session.info.setdefault(PENDING_KEY, []).append((storage, key))


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _delete_uncommitted_files(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint; the outer transaction decides
    for storage, key in session.info.pop(PENDING_KEY, []):
        try:
            storage.delete(key)
        except OSError:
            log.exception("could not delete the uncommitted material file %s", key)
