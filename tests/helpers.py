"""Small helpers shared by the tests."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from lms.extensions import db


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            self.statements.append(statement)


@contextmanager
def count_queries(app):
    """Count the SQL statements the app runs (transaction control excluded)."""
    with app.app_context():
        engine = db.engine
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def page_text(response) -> str:
    return response.get_data(as_text=True)
