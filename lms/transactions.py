"""One way to run a request that changes something.

Routes stay thin: they parse the form, then hand the service call to
:func:`commit_change`, which commits once, or rolls back and gives the refusal's
message to show. Services only flush. A view whose GET writes (a download counter, an
attempt started on opening a quiz) is marked with :func:`writes`, so that on SQLite
its transaction begins IMMEDIATE before anything is read (a read transaction cannot be
upgraded to a write one under load without "database is locked").

Commits happen here, in the CLI and in background jobs, nowhere else
(``tests/core/test_transactions.py`` keeps it so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash

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
    the error page then tells the truth about what was saved."""
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
    return Outcome(value=value)


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
