"""The registration POST holds the write transaction (on SQLite, the database's only
write lock) for the seat changes only: no template is rendered and no .ics built while
it is open. The confirmation email is built after the commit, by the job that sends it."""

from __future__ import annotations

import pytest
from flask import before_render_template
from icalendar import Calendar
from sqlalchemy import event

from tests.conftest import deliver_outbox
from tests.enrollment.conftest import runs_of
from tests.enrollment.test_pages import form_for
from tests.factories import UserFactory


class WriteTransactionWatch:
    """Whether a write transaction is open on the engine: from SQLite's BEGIN IMMEDIATE
    (which takes the write lock) or from the first INSERT, UPDATE or DELETE, to the
    COMMIT or ROLLBACK; and what was rendered or built, inside it or outside."""

    def __init__(self, app, engine, monkeypatch) -> None:
        self.open = False
        self.writes = 0
        self.inside: list[str] = []
        self.outside: list[str] = []
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self.statement)
        event.listen(engine, "commit", self.ended)
        event.listen(engine, "rollback", self.ended)
        before_render_template.connect(self.rendered, app)
        real_to_ical = Calendar.to_ical

        def to_ical(calendar, *args, **kwargs):
            self.note("calendar file")
            return real_to_ical(calendar, *args, **kwargs)

        monkeypatch.setattr(Calendar, "to_ical", to_ical)  # a spy: the real method runs

    def statement(self, conn, cursor, statement, *args) -> None:
        verb = statement.lstrip().upper()
        if verb.startswith("BEGIN IMMEDIATE"):
            self.open = True
        if verb.startswith(("INSERT", "UPDATE", "DELETE")):
            self.open = True
            self.writes += 1

    def ended(self, conn) -> None:
        self.open = False

    def rendered(self, sender, template, context, **extra) -> None:
        self.note(f"template {template.name}")

    def note(self, what: str) -> None:
        (self.inside if self.open else self.outside).append(what)

    def close(self, app) -> None:
        event.remove(self.engine, "before_cursor_execute", self.statement)
        event.remove(self.engine, "commit", self.ended)
        event.remove(self.engine, "rollback", self.ended)
        before_render_template.disconnect(self.rendered, app)


@pytest.fixture
def watch(app, db, monkeypatch):
    watching = WriteTransactionWatch(app, db.engine, monkeypatch)
    yield watching
    watching.close(app)


def test_a_registration_renders_and_builds_nothing_inside_its_transaction(client, course, db, app, watch):
    learner = UserFactory(email="lock-free@example.org")
    db.session.commit()
    client.sign_in(learner.email)
    token = client.csrf_token("/courses/eip-test/register")
    watch.inside.clear()
    watch.outside.clear()
    writes_before = watch.writes

    response = client.post(
        "/courses/eip-test/register", data={"csrf_token": token, **form_for(course, "m1a", "m2a")}
    )

    assert response.status_code == 302 and response.headers["Location"].endswith("/my/schedule")
    assert watch.writes > writes_before  # seats were taken: the transaction wrote
    assert watch.inside == []
    # The confirmation and its .ics are built afterwards, by the job that sends them.
    deliver_outbox(app)
    assert "calendar file" in watch.outside
    assert any(name.startswith("template mail/") for name in watch.outside), watch.outside


def test_a_refused_registration_shows_its_form_again_outside_the_transaction(client, course, db, app, watch):
    learner = UserFactory(email="too-late@example.org")
    db.session.commit()
    client.sign_in(learner.email)
    token = client.csrf_token("/courses/eip-test/register")
    run = runs_of(course)["m1a"]
    run.taken = run.capacity  # the last seat went between reading the form and sending it
    db.session.commit()
    watch.inside.clear()
    watch.outside.clear()

    response = client.post(
        "/courses/eip-test/register?lang=en", data={"csrf_token": token, **form_for(course, "m1a", "m2a")}
    )

    assert response.status_code == 200 and "has just filled up" in response.get_data(as_text=True)
    assert watch.inside == []
    assert "template enrollment/register.html" in watch.outside
