"""The registration POST holds the write transaction (on SQLite, the database's only
write lock) for the seat changes only: everything it reads (the user, the course and its
runs, the form's checks, the consents and registration already there) is read before the
transaction writes, no template is rendered and no .ics built while it is open. The
confirmation email is built after the commit, by the job that sends it."""

from __future__ import annotations

import re

import pytest
from flask import before_render_template
from icalendar import Calendar
from sqlalchemy import event, func, select, update

from lms.catalogue.models import Run
from lms.enrollment import ical, services
from lms.enrollment.models import ChoiceStatus, Registration, RunChoice
from tests.conftest import deliver_outbox
from tests.enrollment.conftest import runs_of
from tests.enrollment.test_pages import form_for
from tests.factories import ConsentFactory, PrivacyNoticeFactory, UserFactory


class WriteTransactionWatch:
    """Whether a write transaction is open on the engine: from SQLite's BEGIN IMMEDIATE
    (which takes the write lock) or from the first INSERT, UPDATE or DELETE, to the
    COMMIT or ROLLBACK; and what was rendered or built, inside it or outside."""

    def __init__(self, app, engine, monkeypatch) -> None:
        self.open = False
        self.writes = 0
        self.inside: list[str] = []
        self.outside: list[str] = []
        self.statements: list[tuple[bool, str]] = []  # (inside the write transaction, SQL)
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
        self.statements.append((self.open, " ".join(statement.split())))

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
    ical.forget_written_events()  # events are kept per minute: this test sees them written
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


def tables_read(statements: list[str]) -> set[str]:
    """The tables the SELECTs among ``statements`` read from."""
    return {
        table
        for sql in statements
        if sql.upper().startswith("SELECT")
        for table in re.findall(r'(?:FROM|JOIN) "?(\w+)"?', sql)
    }


def test_a_registration_reads_everything_before_it_takes_the_write_lock(client, course, db, watch):
    learner = UserFactory(email="reads-first@example.org")
    ConsentFactory(user=learner, notice=PrivacyNoticeFactory())  # a notice in force, accepted
    db.session.commit()
    client.sign_in(learner.email)
    data = {"csrf_token": client.csrf_token("/courses/eip-test/register"), **form_for(course, "m1a", "m2b")}
    chosen = sorted([runs_of(course)["m1a"].id, runs_of(course)["m2b"].id])
    learner_id = learner.id
    db.session.close()  # the test's own reads end here (the requests share its session)
    watch.statements.clear()

    response = client.post("/courses/eip-test/register", data=data)

    assert response.status_code == 302 and response.headers["Location"].endswith("/my/schedule")
    request_statements = [sql for _, sql in watch.statements]
    inside = [sql for open_, sql in watch.statements if open_]
    before = request_statements[: request_statements.index(inside[0])]
    # The user, the course with its modules and runs, the consents and any earlier
    # registration were read before the first write ...
    assert {"user", "course", "module", "run", "consent", "registration"} <= tables_read(before)
    # ... and inside the write transaction only the writes ran (PostgreSQL also locks the
    # chosen runs' rows, in id order, against deadlocks): on SQLite, BEGIN IMMEDIATE
    # comes after every read.
    assert [sql for sql in inside if not sql.upper().startswith(("BEGIN", "INSERT", "UPDATE", "COMMIT"))] in (
        [],
        [sql for sql in inside if sql.upper().startswith("SELECT") and sql.upper().endswith("FOR UPDATE")],
    )
    if db.engine.dialect.name == "sqlite":
        assert inside[0] == "BEGIN IMMEDIATE"
        assert [sql for sql in before if sql.startswith("BEGIN")] == ["BEGIN"]  # a read transaction
    seats = db.session.scalars(
        select(RunChoice.run_id).join(Registration).where(Registration.user_id == learner_id)
    ).all()
    assert sorted(seats) == chosen


def fill_run_between_reads_and_writes(monkeypatch, db, run_id: int) -> list[bool]:
    """Another registration takes the run's last seat after the POST has read the form
    but before it writes (the window ``begin_writing`` opens): a real write, committed on
    a connection of its own, around the real ``begin_writing``."""
    filled = []
    real_begin_writing = services.begin_writing

    def begin_writing():
        with db.engine.begin() as other:
            other.execute(update(Run).where(Run.id == run_id).values(taken=Run.capacity))
        filled.append(True)
        real_begin_writing()

    monkeypatch.setattr(services, "begin_writing", begin_writing)
    return filled


def test_a_run_filled_between_reading_and_writing_is_told_it_has_just_filled_up(
    client, course, db, monkeypatch
):
    learner = UserFactory(email="just-missed@example.org", locale="en")
    db.session.commit()
    client.sign_in(learner.email)
    token = client.csrf_token("/courses/eip-test/register")
    run = runs_of(course)["m1a"]
    run_id, capacity = run.id, run.capacity
    filled = fill_run_between_reads_and_writes(monkeypatch, db, run_id)

    response = client.post(
        "/courses/eip-test/register", data={"csrf_token": token, **form_for(course, "m1a", "m2a")}
    )

    assert filled == [True]
    assert response.status_code == 200 and "has just filled up" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Run, run_id).taken == capacity  # never over capacity
    assert (
        db.session.scalar(select(func.count(Registration.id)).where(Registration.user_id == learner.id)) == 0
    )
    assert db.session.get(Run, runs_of(course)["m2a"].id).taken == 0  # all or nothing


def test_a_run_filled_between_reading_and_writing_puts_a_waiting_learner_on_its_list(
    client, course, db, monkeypatch
):
    learner = UserFactory(email="waits@example.org", locale="en")
    db.session.commit()
    client.sign_in(learner.email)
    token = client.csrf_token("/courses/eip-test/register")
    run_id = runs_of(course)["m1a"].id
    fill_run_between_reads_and_writes(monkeypatch, db, run_id)

    response = client.post(
        "/courses/eip-test/register",
        data={"csrf_token": token, **form_for(course, "m1a", "m2a", wait=("m1a",))},
    )

    assert response.status_code == 302
    statuses = dict(
        db.session.execute(
            select(RunChoice.run_id, RunChoice.status).where(RunChoice.user_id == learner.id)
        ).all()
    )
    assert statuses == {run_id: ChoiceStatus.WAITING, runs_of(course)["m2a"].id: ChoiceStatus.CONFIRMED}
