"""One way to run a request that changes something (lms/transactions.py).

Routes and services never commit: a route hands its service call to
``commit_change``, which commits once or rolls back and shows the refusal; services
only flush. Commits happen in that helper, in the CLI and in background jobs. A view
whose GET writes is marked ``@writes`` so that SQLite begins its transaction
IMMEDIATE.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Blueprint
from sqlalchemy import event, select, update

from lms.accounts.models import User
from lms.db import committed_in_this_request, write_intent
from lms.errors import ServiceError
from lms.extensions import db
from lms.transactions import begin_writing, commit_change, reads_first, writes
from tests.factories import UserFactory

LMS = Path(__file__).resolve().parents[2] / "lms"

# Where a commit may be written, and why.
MAY_COMMIT = {
    "lms/transactions.py": "the helper every request goes through",
    "lms/cli.py": "commands commit their own work",
    "lms/demo.py": "the demo command",
    "lms/course_folders.py": "load_course_folder: the CLI's content loading, in one transaction",
    "lms/mail/delivery.py": "the mail job: each claim and outcome on its own",
    "lms/enrollment/tasks.py": "the reminders job",
    "lms/jobs/tracking.py": "organisers' long jobs report progress as they go",
    "lms/reports/jobs.py": "the export jobs end their read before writing the file",
    "lms/certificates/jobs.py": "the issuing job commits each batch of learners",
    "lms/evaluations/tasks.py": "the evaluations' invitations and reminders job",
    "lms/certificates/follow_up.py": "the follow-up survey's invitations job",
    "lms/messages/sending.py": "the sending job: each claim, then each message with its recipients",
    "lms/privacy/download.py": "the data-copy job ends its read before queueing the email",
    "lms/privacy/retention.py": "retention (its job and its command) de-identifies one person per transaction",
    "lms/privacy/tasks.py": "the privacy jobs",
}


def committing_files() -> set[str]:
    found = set()
    for path in LMS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
            ):
                found.add(str(path.relative_to(LMS.parent)))
    return found


def test_only_the_helper_the_cli_and_jobs_commit():
    assert committing_files() - set(MAY_COMMIT) == set()


def test_a_change_is_committed_once_and_a_refusal_rolls_back(app, db):
    from lms.accounts.models import User
    from tests.factories import UserFactory

    user = UserFactory(full_name="Before")
    db.session.commit()

    def refused():
        user.full_name = "Half-written"
        db.session.flush()
        raise ServiceError("no")

    outcome = commit_change(refused)
    assert (outcome.ok, outcome.error) == (False, "no")
    db.session.expire_all()
    assert db.session.get(User, user.id).full_name == "Before"

    outcome = commit_change(lambda: setattr(db.session.get(User, user.id), "full_name", "After") or 7)
    assert (outcome.ok, outcome.value) == (True, 7)
    db.session.rollback()  # nothing pending: the change is already committed
    assert db.session.get(User, user.id).full_name == "After"


def transaction_kind():
    """ "write" when the session's transaction holds SQLite's write lock, "read" when not,
    "n/a" on PostgreSQL."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return "n/a"
    # BEGIN IMMEDIATE reserves the database: a second connection cannot begin one too.
    other = db.engine.raw_connection()
    try:
        other.driver_connection.execute("PRAGMA busy_timeout=0")
        try:
            other.driver_connection.execute("BEGIN IMMEDIATE")
        except Exception:  # locked: ours is a write transaction
            return "write"
        other.driver_connection.execute("ROLLBACK")
        return "read"
    finally:
        other.close()


def test_a_get_view_marked_writes_begins_a_write_transaction(app, client):
    """On SQLite the transaction of a @writes GET begins IMMEDIATE (it holds the write
    lock from its first query); an unmarked GET begins deferred."""
    seen = {}
    probe = Blueprint("probe", __name__)

    @probe.get("/probe/writes")
    @writes
    def writing():
        seen["writes"] = transaction_kind()
        return "ok"

    @probe.get("/probe/reads")
    def reading():
        seen["reads"] = transaction_kind()
        return "ok"

    app.register_blueprint(probe)
    assert client.get("/probe/writes").status_code == 200
    assert client.get("/probe/reads").status_code == 200
    if seen["writes"] != "n/a":
        assert seen == {"writes": "write", "reads": "read"}


def test_a_post_view_marked_reads_first_reads_then_takes_the_write_lock_for_its_change(app, client, db):
    """A @reads_first POST reads in a read transaction; ``begin_writing`` ends it keeping
    what was loaded (no query to read it again), the change's writes then hold the write
    lock, and ending the read does not count as a commit (the error page's "nothing was
    changed" stays true when the change fails)."""
    user = UserFactory(email="reads-first@example.org", full_name="Before")
    db.session.commit()
    user_id = user.id
    db.session.close()
    seen = {}
    probe = Blueprint("probe_reads_first", __name__)

    def change(loaded):
        begin_writing()
        seen["committed after the read"] = committed_in_this_request()
        seen["name, no query"] = count_statements(lambda: loaded.full_name)
        loaded.full_name = "After"
        db.session.flush()
        seen["writing"] = transaction_kind()

    @probe.post("/probe/reads-first")
    @reads_first
    def reads_then_writes():
        loaded = db.session.get(User, user_id)
        seen["reading"] = transaction_kind()
        commit_change(lambda: change(loaded))
        return "ok"

    app.register_blueprint(probe)
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/probe/reads-first").status_code == 200
    assert seen["committed after the read"] is False
    assert seen["name, no query"] == ("Before", 0)
    if seen["reading"] != "n/a":
        assert (seen["reading"], seen["writing"]) == ("read", "write")
    assert db.session.scalar(select(User.full_name).where(User.id == user_id)) == "After"


def test_begin_writing_never_ends_a_read_transaction_that_has_written(app, db):
    """Ending it would commit half a change: on SQLite it refuses; on PostgreSQL (where
    it never ends the transaction) it lets the change go on."""
    user = UserFactory(email="half@example.org", full_name="Whole")
    db.session.commit()
    with write_intent(False):
        db.session.execute(update(User).where(User.id == user.id).values(full_name="Half"))
        if db.engine.dialect.name == "sqlite":
            with pytest.raises(RuntimeError, match="after a write"):
                begin_writing()
        else:
            begin_writing()
        db.session.rollback()
    assert db.session.scalar(select(User.full_name).where(User.id == user.id)) == "Whole"


def count_statements(read):
    """(what ``read()`` returns, how many SQL statements it ran)."""
    statements = []

    def count(*args):
        statements.append(args)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        return read(), len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
