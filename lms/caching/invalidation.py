"""Which writes change which generation (``generation.py``), seen where every write
passes: the SQL statements the database engine executes.

Safe by default: a write to any table changes both scopes (public and personal),
whoever makes it (a web request, a job, the command line) and however (the ORM, a bulk
UPDATE, raw SQL); a statement that cannot be read as one INSERT, UPDATE or DELETE of
one table (DDL, ``WITH``…) changes both as well. A domain narrows that only for writes
it knows a memoized answer does not show at once, with :func:`writes_shown`:

- ``shown_in=("personal",)``: shown only in personal calendar feeds (registrations);
- ``shown_in=()``: shown in none, or only within the guests' staleness (a run's seats
  taken, sign-in times, the audit trail, outgoing mail, quiz attempts…).

A changed generation is announced as soon as the write runs (so no process keeps
trusting an old answer while the transaction is open) and again when its connection
goes back to the pool, after the commit or rollback (so an answer re-checked in between,
against data not yet committed, is not trusted either)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine

from lms.caching.generation import SCOPES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shown:
    scopes: tuple[str, ...]
    columns: frozenset[str] | None  # only UPDATEs of these columns (None: every write)
    inserts: bool  # with columns: INSERTs too


# table name → how its writes are shown; a table may have a whole-table rule and a
# columns rule (e.g. user: inserts and sign-in columns are shown nowhere).
_DECLARED: dict[str, list[Shown]] = {}


def writes_shown(
    table, shown_in: tuple[str, ...], *, columns: tuple[str, ...] = (), inserts: bool = False
) -> None:
    """Declare that writes to ``table`` (a Table or its name) are shown only in the
    scopes ``shown_in``; with ``columns``, only UPDATEs that set nothing but those
    columns (and, with ``inserts``, new rows)."""
    name = getattr(table, "name", table)
    unknown = set(shown_in) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes {unknown}")
    rule = Shown(tuple(shown_in), frozenset(columns) if columns else None, inserts)
    _DECLARED.setdefault(name, []).append(rule)
    scopes_of.cache_clear()


_WRITE = re.compile(r'^\s*(INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_READ = re.compile(r"^\s*(SELECT|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|SHOW|EXPLAIN|SET\s)", re.I)
_SET_CLAUSE = re.compile(r"\bSET\s+(.*?)(?:\bWHERE\b|\bRETURNING\b|$)", re.IGNORECASE | re.DOTALL)
_ASSIGNED = re.compile(r'(?:^|,)\s*"?(\w+)"?\s*=')


@lru_cache(maxsize=1024)
def scopes_of(statement: str) -> tuple[str, ...]:
    """The scopes a statement changes (computed once per distinct SQL text)."""
    if not statement.strip() or _READ.match(statement):
        return ()  # (an empty statement: the driver's own transaction control)
    write = _WRITE.match(statement)
    if not write:
        return SCOPES
    verb, table = write.group(1).split()[0].upper(), write.group(2).lower()
    rules = _DECLARED.get(table, [])
    for rule in rules:
        if rule.columns is None:
            return rule.scopes
        if verb == "INSERT" and rule.inserts:
            return rule.scopes
        if verb == "UPDATE" and assigned_columns(statement) <= rule.columns:
            return rule.scopes
    return SCOPES


def assigned_columns(statement: str) -> frozenset[str]:
    clause = _SET_CLAUSE.search(statement)
    found = frozenset(name.lower() for name in _ASSIGNED.findall(clause.group(1))) if clause else frozenset()
    return found or frozenset({"?"})  # nothing readable: not within any declared set


PENDING = "lms.generations_pending"


def watch(engine: Engine, generations) -> None:
    """Announce ``engine``'s writes to ``generations``."""

    def after_cursor_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        scopes = scopes_of(statement)
        if not scopes:
            return
        pending = conn.info.setdefault(PENDING, set())
        if not set(scopes) <= pending:
            pending.update(scopes)
            announce(generations, scopes)

    def checkin(dbapi_connection, record) -> None:
        pending = record.info.pop(PENDING, None)
        if pending:
            announce(generations, tuple(sorted(pending)))

    event.listen(engine, "after_cursor_execute", after_cursor_execute)
    event.listen(engine, "checkin", checkin)


def announce(generations, scopes: tuple[str, ...]) -> None:
    try:
        generations.bump(scopes)
    except Exception:  # the write stands; memoized answers expire on their own
        log.warning("could not announce a change of %s", scopes, exc_info=True)
