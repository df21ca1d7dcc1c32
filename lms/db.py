"""Database foundations: the declarative base, column types and SQLite behaviour.

Rules kept here so every model follows them without thinking:
- constraint names come from a naming convention, so Alembic migrations are stable;
- datetimes are stored in UTC and always come back timezone-aware;
- text people type is stored per locale (``{"vi": ..., "en": ...}``), so a new
  language needs a catalog, not a migration.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import JSON, DateTime, MetaData, String, Text, bindparam, cast, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def written_in(value: str):
    """``value`` written into the SQL text instead of sent as a parameter, for a
    condition a partial index is defined by (e.g. ``status = 'confirmed'``): SQLite uses
    such an index only when the statement itself says the value, and a parameter does not
    (looking a learner's seat up in a module cost 3× as much). The value is one of our
    own constants, never user input; statements stay cached with it in place."""
    return bindparam(None, str(value), type_=String(), literal_execute=True)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored in UTC on every database.

    PostgreSQL keeps the instant in ``timestamptz``; SQLite has no time zones, so the
    value is normalised to UTC before it is written and marked UTC when read back.
    Naive datetimes are refused: they are the classic source of off-by-seven-hours bugs.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: attach a time zone before storing it")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Translated(TypeDecorator):
    """Text stored per locale as a JSON object, e.g. ``{"vi": "...", "en": "..."}``.

    Empty strings are dropped on write so that "missing" has one meaning and the
    reader's fallback to another language works.
    """

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> dict | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise TypeError(f"translated text must be a dict of locale to value, not {value!r}")
        return {locale: text for locale, text in value.items() if text not in (None, "", [])}

    def process_result_value(self, value: Any, dialect) -> dict:
        return dict(value or {})

    @classmethod
    def from_json(cls, text: str | None) -> dict:
        """The value of a column read as its stored JSON text (:func:`stored_json`)."""
        return dict((json.loads(text) if text else None) or {})


# Lean reads (plain rows, no mapped objects) repeat the same translated texts on many rows:
# an edition's title on each of its runs, a module's title on each run and trainer, the
# runs' labels across modules. Decoding every copy was half of reading My schedule; read
# as their stored JSON, each distinct text is decoded once.


def stored_json(column):
    """A Translated column as its stored JSON text, for :class:`TranslatedTexts`."""
    return cast(column, Text)


class TranslatedTexts:
    """The values of one read's :func:`stored_json` columns, each distinct text decoded
    once. Objects showing the same text share its dict: read them, never change them."""

    def __init__(self) -> None:
        self._decoded: dict[str | None, dict] = {}

    def __call__(self, text: str | None) -> dict:
        if text not in self._decoded:
            self._decoded[text] = Translated.from_json(text)
        return self._decoded[text]


# SQLite: one writer at a time. A write transaction that starts DEFERRED and upgrades
# later can fail with "database is locked" regardless of the busy timeout, so write
# transactions begin IMMEDIATE and wait their turn instead. Reads (GET requests) begin
# deferred so they never queue behind writers (WAL lets them read concurrently).
_sqlite_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "sqlite_write_intent", default=True
)


def set_write_intent(value: bool) -> contextvars.Token:
    return _sqlite_write_intent.set(value)


def write_intent_now() -> bool:
    """Whether a transaction begun now would write (SQLite: BEGIN IMMEDIATE)."""
    return _sqlite_write_intent.get()


def reset_write_intent(token: contextvars.Token) -> None:
    _sqlite_write_intent.reset(token)


@contextmanager
def write_intent(value: bool) -> Iterator[None]:
    """Transactions begun inside this block read only (False) or write (True).

    Outside requests (jobs, the CLI) every transaction writes by default; a job that
    only reads wraps that part in ``write_intent(False)`` and ends the transaction
    before leaving the block, so it never holds SQLite's write lock while reading.
    """
    token = _sqlite_write_intent.set(value)
    try:
        yield
    finally:
        _sqlite_write_intent.reset(token)


@event.listens_for(Engine, "connect")
def _configure_sqlite_connection(dbapi_connection, connection_record) -> None:
    if not _is_sqlite(dbapi_connection):
        return
    # Let SQLAlchemy's "begin" event below issue BEGIN itself. The busy timeout is the
    # connection's ``timeout`` (SQLITE_BUSY_TIMEOUT in the engine options, lms/__init__.py).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    writing = _sqlite_write_intent.get()
    conn.info[_READ_TRANSACTION] = not writing
    conn.info[_WROTE] = False
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


# Whether a SQLite read transaction (BEGIN deferred) has written since, so that
# lms.transactions.begin_writing never ends one by committing half a change.
_READ_TRANSACTION, _WROTE = "lms_read_transaction", "lms_read_transaction_wrote"
_WRITING_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@event.listens_for(Engine, "before_cursor_execute")
def _note_write_in_read_transaction(conn, cursor, statement, parameters, context, executemany) -> None:
    if conn.info.get(_READ_TRANSACTION) and statement.lstrip()[:7].upper().startswith(_WRITING_VERBS):
        conn.info[_WROTE] = True


def read_transaction_wrote(conn) -> bool:
    """True when ``conn`` (a SQLAlchemy connection) is in a SQLite read transaction that
    has written (SQLite then holds, or tried to take, the write lock)."""
    return bool(conn.info.get(_READ_TRANSACTION) and conn.info.get(_WROTE))


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


# Commits per request: the 500 page may say "nothing was changed" only if nothing was
# committed while the request ran. Two listeners mark the request (flask.g):
# - the session's after_commit, once the session's transaction has committed;
# - the engine's commit, just before COMMIT is sent on any connection (the session's
#   or a Core one): if the connection breaks during COMMIT, the server may have
#   committed although after_commit never fires.
# Outside a request (CLI, jobs, tests' own set-up) nothing is recorded.
_COMMITTED = "lms_committed"


@event.listens_for(Session, "after_commit")
def _note_session_commit(session) -> None:
    note_commit()


@event.listens_for(Engine, "commit")
def _note_connection_commit(conn) -> None:
    note_commit()


def note_commit() -> None:
    if has_request_context():
        setattr(g, _COMMITTED, True)


def committed_in_this_request() -> bool:
    """Whether anything was (or may have been) committed during the current request."""
    return has_request_context() and bool(g.get(_COMMITTED, False))


@contextmanager
def commit_not_counted() -> Iterator[None]:
    """A COMMIT that ends a transaction which only read: it changed nothing, so the
    request's record of commits stays as it was."""
    before = committed_in_this_request()
    try:
        yield
    finally:
        if has_request_context() and not before:
            g.pop(_COMMITTED, None)


# The range of an INTEGER column (ids, minutes): PostgreSQL refuses a value outside it.
MAX_INTEGER = 2**31 - 1
MIN_INTEGER = -(2**31)
_MAX_DIGITS = len(str(MAX_INTEGER))


def parse_integer(text: str | None, signed: bool = False) -> int | None:
    """A whole number sent in a form or an address (an id, minutes), or None when it is
    not plain ASCII digits (after a "-" if ``signed``) or does not fit an INTEGER column.

    ``str.isdigit`` alone also takes "²" (which ``int`` refuses), and ``int`` refuses
    more than 4,300 digits with a ValueError (and takes quadratic time below that), so
    the length is checked before converting."""
    if not text or not text.isascii():
        return None
    negative = signed and text.startswith("-")
    digits = text[1:] if negative else text
    if not digits.isdigit():
        return None
    digits = digits.lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS:
        return None
    number = -int(digits) if negative else int(digits)
    return number if MIN_INTEGER <= number <= MAX_INTEGER else None


# -- ids grouped per row --------------------------------------------------------------


def grouped_ids(column):
    """An aggregate of a group's integer ids as one text, "3,5,8" (GROUP_CONCAT on SQLite,
    string_agg on PostgreSQL). A bulk read of (learner, module) pairs grouped by learner
    becomes one row per learner: 10,000 rows instead of 60,000, and far fewer objects
    for Python to make and the garbage collector to walk."""
    return func.aggregate_strings(cast(column, String), ",")


def ids_by_key(
    rows: Iterable[tuple[int, str]], translate: Mapping[int, int] | None = None
) -> dict[int, set[int]]:
    """{key: ids} from rows (key, "3,5,8") of ``grouped_ids``; ``translate`` maps each id
    to another (a form to its module) when given."""
    if translate is None:
        return {key: {int(each) for each in ids.split(",")} for key, ids in rows}
    return {key: {translate[int(each)] for each in ids.split(",")} for key, ids in rows}
