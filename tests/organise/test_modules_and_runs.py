"""Modules and runs: add, edit, reorder; times typed in the course's zone; every
refusal (dates, a run ending before it starts, capacity below seats taken, a join
link that is not https) shows its message and saves nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.catalogue.models import Module, Run
from lms.enrollment.models import ChoiceStatus, RunChoice
from tests.conftest import email_text
from tests.factories import UserFactory
from tests.organise.conftest import emails, run_form, run_form_of, shown


def module_form(**overrides) -> dict:
    data = {
        "key": "m3",
        "title_vi": "Cộng sinh công nghiệp",
        "title_en": "Industrial symbiosis",
        "outline_vi": "## Nội dung\n\n- Trao đổi chất thải",
        "outline_en": "## Content\n\n- Waste exchange",
        "objectives_vi": "Hiểu cộng sinh\nLập bản đồ dòng vật chất",
        "objectives_en": "Understand symbiosis\nMap material flows",
        "position": "3",
        "duration_minutes": "150",
    }
    data.update(overrides)
    return data


def positions(db, course) -> list[tuple[str, int]]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(Module.key, Module.position).where(Module.course_id == course.id).order_by(Module.position)
        ).all()
    )


def test_an_organiser_adds_a_module_and_edits_it(client, db, edition):
    client.sign_in(edition.organiser.email)
    response = client.submit("/organise/courses/eip-test/modules/new?lang=en", module_form())
    assert "The module is saved. Add its runs next." in shown(response)
    module = db.session.scalar(select(Module).where(Module.key == "m3"))
    assert module.title == {"vi": "Cộng sinh công nghiệp", "en": "Industrial symbiosis"}
    assert module.objectives["en"] == ["Understand symbiosis", "Map material flows"]
    assert (module.position, module.duration_minutes) == (3, 150)

    response = client.submit(
        "/organise/courses/eip-test/modules/m3?lang=en", module_form(title_en="Symbiosis", position="1")
    )
    assert "The module is saved." in shown(response)
    assert positions(db, edition.course) == [("m3", 1), ("m1", 2), ("m2", 3)]
    assert db.session.scalar(select(Module.title).where(Module.key == "m3"))["en"] == "Symbiosis"
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["module.created", "module.updated"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title_vi": ""}, "Please enter the module's title in Vietnamese."),
        ({"key": "m1"}, "Another module of this edition already uses m1."),
        ({"key": "Module 3"}, "Use lower-case letters, digits and hyphens"),
        ({"duration_minutes": "0"}, "Please enter a duration from 1 to 1440 minutes."),
    ],
)
def test_a_refused_module_saves_nothing(client, db, edition, changes, message):
    client.sign_in(edition.organiser.email)
    response = client.submit("/organise/courses/eip-test/modules/new?lang=en", module_form(**changes))
    assert message in shown(response)
    assert db.session.scalar(select(func.count(Module.id))) == 2


def test_modules_move_up_and_down(client, db, edition):
    client.sign_in(edition.organiser.email)
    client.submit("/organise/courses/eip-test/modules/m2/move", {"direction": "up"})
    assert positions(db, edition.course) == [("m2", 1), ("m1", 2)]
    client.submit("/organise/courses/eip-test/modules/m2/move", {"direction": "down"})
    assert positions(db, edition.course) == [("m1", 1), ("m2", 2)]
    client.submit("/organise/courses/eip-test/modules/m2/move", {"direction": "down"})  # already last
    assert positions(db, edition.course) == [("m1", 1), ("m2", 2)]
    page = shown(client.get("/organise/courses/eip-test?lang=en"))
    assert page.index("Module 1</h3>") < page.index("Module 2</h3>")


def test_an_organiser_adds_a_run_in_the_course_zone_with_trainers(client, db, edition):
    client.sign_in(edition.organiser.email)
    other_trainer = UserFactory(full_name="Trần Văn Minh", roles=["trainer"])
    form = shown(client.get("/organise/courses/eip-test/modules/m1/runs/new?lang=en"))
    assert "Nguyễn Thị Lan" in form and "Trần Văn Minh" in form
    assert edition.organiser.full_name not in form  # only people with the trainer role
    response = client.submit(
        "/organise/courses/eip-test/modules/m1/runs/new?lang=en",
        run_form(trainers=[str(other_trainer.id), str(edition.trainer.id)]),
    )
    assert "The run is saved." in shown(response)
    run = db.session.scalar(select(Run).where(Run.label["en"].as_string() == "Run C"))
    # 14:00-16:00 in Viet Nam is 07:00-09:00 UTC.
    assert run.starts_at == datetime(2030, 10, 15, 7, 0, tzinfo=UTC)
    assert run.ends_at == datetime(2030, 10, 15, 9, 0, tzinfo=UTC)
    assert (run.key, run.capacity, run.taken, run.sequence) == ("c", 30, 0, 0)
    assert {trainer.full_name for trainer in run.trainers} == {"Nguyễn Thị Lan", "Trần Văn Minh"}
    assert "Run C" in shown(client.get("/organise/courses/eip-test?lang=en"))


def test_a_run_without_an_end_lasts_the_given_or_the_module_duration(client, db, edition):
    client.sign_in(edition.organiser.email)
    client.submit("/organise/courses/eip-test/modules/m1/runs/new", run_form(ends_time="", label_en="D"))
    client.submit(
        "/organise/courses/eip-test/modules/m1/runs/new",
        run_form(ends_time="", duration_minutes="90", label_en="E"),
    )
    runs = {run.label["en"]: run for run in db.session.scalars(select(Run).where(Run.key.in_(["c", "d"])))}
    assert runs["D"].ends_at - runs["D"].starts_at == timedelta(minutes=120)  # the module's duration
    assert runs["E"].ends_at - runs["E"].starts_at == timedelta(minutes=90)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_on": "2030-02-31"}, "Please enter a real date, e.g. 2030-10-08."),
        ({"starts_on": ""}, "Please enter a date."),
        ({"starts_time": "9 o'clock"}, "Please enter a time of day, e.g. 09:00."),
        ({"ends_time": "13:00"}, "The run must end after it starts."),
        ({"ends_time": "14:00"}, "The run must end after it starts."),
        ({"capacity": "-1"}, "Please enter a number of seats from 0 upwards."),
        ({"join_url": "http://meet.example.org/eip"}, "The join link must be a full address starting with https://."),
        ({"join_url": "javascript:alert(1)"}, "The join link must be a full address starting with https://."),
        ({"trainers": ["999999"]}, "Please choose trainers from the list."),
    ],
)  # fmt: skip
def test_a_refused_new_run_shows_why_and_saves_nothing(client, db, edition, changes, message):
    client.sign_in(edition.organiser.email)
    response = client.submit("/organise/courses/eip-test/modules/m1/runs/new?lang=en", run_form(**changes))
    text = shown(response)
    assert message in text
    assert "Nothing was saved" in text
    assert db.session.scalar(select(func.count(Run.id))) == 4
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_capacity_cannot_drop_below_seats_taken_and_nothing_else_is_saved(client, db, edition):
    for learner in (edition.learner_vi, edition.learner_en):
        edition.register(learner, "m1a", "m2a")
    db.session.commit()
    run = edition.run("m1a")
    client.sign_in(edition.organiser.email)
    response = client.submit(
        f"/organise/runs/{run.id}?lang=en",
        run_form_of(run, capacity="1", label_en="Renamed", starts_time="10:00"),
    )
    text = shown(response)
    assert "2 seats are already taken, so the capacity cannot be lower than that." in text
    db.session.expire_all()
    run = db.session.get(Run, run.id)
    assert (run.capacity, run.label["en"], run.sequence, run.starts_at) == (
        3,
        "Run A",
        0,
        edition.run("m1a").starts_at,
    )
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action != "registration.created")
        )
        == 0
    )


def test_raising_capacity_gives_the_waiting_list_seats_and_emails_them(client, db, edition, app):
    fillers = [UserFactory() for _ in range(3)]
    for filler in fillers:
        edition.register(filler, "m1a", "m2a")
    edition.register(edition.learner_en, "m1a", "m2b", wait=("m1a",))
    db.session.commit()
    run = edition.run("m1a")
    client.sign_in(edition.organiser.email)
    response = client.submit(f"/organise/runs/{run.id}?lang=en", run_form_of(run, capacity="4"))
    assert "1 person on the waiting list got a seat and was emailed." in shown(response)
    status = db.session.scalar(
        select(RunChoice.status).where(RunChoice.user_id == edition.learner_en.id, RunChoice.run_id == run.id)
    )
    assert status == ChoiceStatus.CONFIRMED
    [promoted] = [m for m in emails(app, db, edition.learner_en.email) if "seat is yours" in m["Subject"]]
    assert "Run A" in email_text(promoted)


def test_editing_label_link_and_trainers_sends_no_email(client, db, edition, app):
    edition.register(edition.learner_vi, "m1a", "m2a")
    db.session.commit()
    before = len(emails(app, db))
    run = edition.run("m1a")
    client.sign_in(edition.organiser.email)
    response = client.submit(
        f"/organise/runs/{run.id}?lang=en",
        run_form_of(run, label_en="Morning run", join_url="https://meet.example.org/new", trainers=[]),
    )
    assert "The run is saved." in shown(response)
    db.session.expire_all()
    run = db.session.get(Run, run.id)
    assert (run.label["en"], run.join_url, run.trainers, run.sequence) == (
        "Morning run",
        "https://meet.example.org/new",
        [],
        0,
    )
    assert len(emails(app, db)) == before
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "run.updated"))
    assert set(event.details["fields"]) == {"label", "join_url", "trainers"}
