"""One way to run a request that changes something.

Routes stay thin: they parse the form, then hand the service call to
:func:`commit_change`, which commits once, or rolls back and gives the refusal's
message to show. Services only flush. A view whose GET writes (a download counter, an
attempt started on opening a quiz) is marked with :func:`writes`, so that on SQLite
its transaction begins IMMEDIATE before anything is read (a read transaction cannot be
upgraded to a write one under load without "database is locked").

The other way round, a POST view marked :func:`reads_first` begins with a read
transaction, and its service calls :func:`begin_writing` once it has read what it needs
(the user, the course, the form's checks): on SQLite, the write lock, which is the
database's only one, is then held for the writes alone (registration: 14.9 of the POST's
18.3 ms of CPU before, benchmarks/README.md). What the writes rely on must hold in the
database when they run (conditional UPDATEs, unique constraints), since the reads may be a
moment old by then.

Commits happen here, in the CLI and in background jobs, nowhere else
(``tests/core/test_transactions.py`` keeps it so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash, g, has_request_context

from lms.db import commit_not_counted, read_transaction_wrote, set_write_intent, write_intent_now
from lms.errors import ServiceError
from lms.extensions import db

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a change came to: its value, or the message of the rule that said no."""

    value: T | None = None
    error: object = None  # a translatable message; None when the change was committed
    refusal: Exception | None = None  # what said no (a FieldError names its field)

    @property
    def ok(self) -> bool:
        return self.error is None


def commit_change(
    change: Callable[[], T],
    *,
    flash_refusal: bool = False,
    refusals: Mapping[type[Exception], object] | None = None,
) -> Outcome[T]:
    """Run ``change`` (a service call) and commit; on a ServiceError (or an exception
    listed in ``refusals``, with the message to show for it) roll back and return the
    message, flashed too when ``flash_refusal``. Anything else rolls back and propagates:
    the error page then tells the truth about what was saved.

    On SQLite the rest of the request (a refused form shown again, the next page's
    reads) runs in a read transaction, so SQLite's single write lock is held for the
    change only, not while a page renders."""
    _take_the_write_lock_again()
    try:
        value = change()
        db.session.commit()
    except ServiceError as refusal:
        db.session.rollback()
        return _refused(refusal.message, refusal, flash_refusal)
    except Exception as error:
        db.session.rollback()
        for kind, message in (refusals or {}).items():
            if isinstance(error, kind):
                return _refused(message, error, flash_refusal)
        raise
    finally:
        _release_the_write_lock()
    return Outcome(value=value)


def _release_the_write_lock() -> None:
    """After the change, the request only reads: later transactions begin deferred (the
    request's own setting, undone when it ends; CLI commands and jobs keep theirs)."""
    if has_request_context():
        set_write_intent(False)
        g.lms_write_lock_released = True


def _take_the_write_lock_again() -> None:
    """A second change in the same request: a read transaction begun since the first
    cannot take SQLite's write lock under load without "database is locked", so it
    ends (it only read) and the change begins IMMEDIATE again."""
    if has_request_context() and g.pop("lms_write_lock_released", False):
        if db.session().in_transaction():
            db.session.rollback()
        set_write_intent(True)


def _refused(message, refusal: Exception, flash_it: bool) -> Outcome:
    if flash_it:
        flash(message, "error")
    return Outcome(error=message, refusal=refusal)


def writes(view: Callable) -> Callable:
    """Mark a view that writes even when asked with GET (see the module's docstring)."""
    view.lms_writes = True
    return view


def view_writes(view: Callable | None) -> bool:
    return bool(getattr(view, "lms_writes", False))


def reads_first(view: Callable) -> Callable:
    """Mark a view whose POST reads in a read transaction and whose service takes the
    write lock itself, with :func:`begin_writing` (see the module's docstring)."""
    view.lms_reads_first = True
    return view


def view_reads_first(view: Callable | None) -> bool:
    return bool(getattr(view, "lms_reads_first", False))


def begin_writing() -> None:
    """The change has read what it needs: its writes start here.

    In a read transaction (SQLite, a :func:`reads_first` view) the transaction ends,
    keeping what it loaded (it is a moment old: the writes re-check in the database what
    they rely on), and the next statement begins IMMEDIATE, waiting for the write lock.
    In a write transaction, or on PostgreSQL (whose writes lock rows, not the database),
    nothing changes: the caller's transaction goes on. Call it before the first write:
    a read transaction that has written cannot be ended without committing half a change."""
    if write_intent_now() or db.engine.dialect.name != "sqlite":
        return
    session = db.session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted or read_transaction_wrote(session.connection()):
            raise RuntimeError("begin_writing() after a write: the read transaction holds changes")
        _end_read_transaction(session)
    set_write_intent(True)


def _end_read_transaction(session) -> None:
    """COMMIT a transaction that only read: the loaded objects stay as read (not expired),
    and the request does not count as having committed anything (the error page's
    "nothing was changed" stays true)."""
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        with commit_not_counted():
            session.commit()
    finally:
        session.expire_on_commit = expire
