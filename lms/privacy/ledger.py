"""The ledger of processed deletions, kept outside the database (a JSON-lines file in
the instance folder, or ``LMS_PRIVACY_LEDGER_PATH``): restoring a backup made before a
deletion would otherwise bring the person back silently.

Each line holds the HMAC-SHA256 of the person's normalised email under the app's secret
key, and when: no personal data (the hash cannot be reversed without the key, and says
nothing without the address). A line is written only once the deletion committed. After
a restore, :func:`pending` finds the accounts of the restored database that the ledger
says were deleted, and the CLI de-identifies them again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.extensions import db

PENDING = "lms.privacy.ledger_pending"


def ledger_path() -> Path:
    configured = current_app.config.get("PRIVACY_LEDGER_PATH")
    return Path(configured) if configured else Path(current_app.instance_path) / "privacy-ledger.jsonl"


def identifier(email: str) -> str:
    """The hashed identifier of an address (normalised as accounts store them)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def record_after_commit(email: str, processed_at) -> None:
    """Add the person to the ledger once the current transaction commits."""
    entry = {"id": identifier(email), "processed_at": processed_at.isoformat()}
    db.session.info.setdefault(PENDING, []).append((ledger_path(), entry))
    if not event.contains(Session, "after_commit", _write_committed):
        event.listen(Session, "after_commit", _write_committed)
        event.listen(Session, "after_rollback", _forget_rolled_back)


def _write_committed(session: Session) -> None:
    for path, entry in session.info.pop(PENDING, []):
        append(path, entry)


def _forget_rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)


def append(path: Path, entry: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # one short line in append mode: written whole, in order, by any number of processes
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(entry, sort_keys=True) + "\n")
        stream.flush()
        os.fsync(stream.fileno())


def identifiers() -> set[str]:
    path = ledger_path()
    if not path.is_file():
        return set()
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            found.add(json.loads(line)["id"])
    return found
