"""My schedule's lean reading (lms.enrollment.schedule) against the mapped objects: the
enrollment rules give the same answers from either, for a learner holding a seat,
waiting, switched, moved out of a cancelled run and with a cancelled registration."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.enrollment import services
from lms.enrollment.models import Registration
from lms.enrollment.schedule import schedule_of
from lms.organise.runs import cancel_run
from tests.enrollment.conftest import runs_of
from tests.enrollment.test_services import register
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory
from tests.helpers import count_queries


def a_learner_in_every_state(db, course):
    learner, organiser = UserFactory(), UserFactory()
    runs = runs_of(course)
    runs["m2b"].capacity = 0  # full: they wait
    registration, _ = register(db, learner, course, "m1a", "m2b", wait=("m2b",))
    services.switch_run(learner, registration, runs["m1b"].id, runs["m1b"].starts_at - timedelta(days=3))
    cancel_run(runs["m1b"], {"vi": "Giảng viên ốm", "en": "The trainer is ill"}, organiser)
    runs["m2b"].trainers.extend([UserFactory(full_name="Vũ Thị Bích"), UserFactory(full_name="Lê Văn An")])
    # An edition they registered for and cancelled is not on the page.
    other = CourseFactory(slug="eip-other", registration_opens_at=course.registration_opens_at,
                          registration_closes_at=course.registration_closes_at)  # fmt: skip
    RunFactory(module=ModuleFactory(course=other, position=1, key="m1"), key="a",
               starts_at=runs["m1a"].starts_at, capacity=3)  # fmt: skip
    db.session.commit()
    cancelled, _ = register(db, learner, other, "m1a")
    services.cancel_registration(learner, cancelled, actor=learner)
    db.session.commit()
    return learner


def trainer_names(run) -> list[str]:
    if hasattr(run, "trainer_names"):  # the lean run carries the names only
        return run.trainer_names
    return [user.full_name for user in run.trainers]


def described(registration, now) -> dict:
    """What the page shows of a registration, through the enrollment rules."""
    current = registration.current_choices()
    return {
        "course": (registration.course.id, registration.course.slug, registration.course.zone),
        "modules": [(module.id, module.key, [run.id for run in module.runs]) for module in registration.course.modules],
        "current": [(c.id, c.status, c.run.id, c.module.id, c.run.seats_left, c.run.is_cancelled) for c in current],
        "trainers": {c.run.id: trainer_names(c.run) for c in current},
        "to choose": [(item.module.id, item.ended and item.ended.id) for item in services.modules_to_choose(registration)],
        "movable": {module_id: [run.id for run in runs] for module_id, runs in services.runs_to_move_to(registration, now).items()},
        "positions": services.waiting_positions(current),
        "join": [services.join_link_visible(c, c.run.starts_at) for c in current],
        "deadlines": [services.change_deadline(registration.course, c.run) for c in current],
    }  # fmt: skip


def test_the_lean_schedule_answers_as_the_mapped_registrations_do(db, course):
    learner = a_learner_in_every_state(db, course)
    now = min(run.starts_at for run in runs_of(course).values()) - timedelta(days=10)
    mapped = db.session.scalars(
        select(Registration).where(Registration.user_id == learner.id, Registration.status == "active")
    ).all()
    lean = schedule_of(learner)
    assert [r.id for r in lean] == [r.id for r in mapped] and len(lean) == 1
    assert described(lean[0], now) == described(mapped[0], now)
    shown = described(lean[0], now)
    runs = runs_of(course)
    # What the set-up meant: module 1's run was cancelled under them, module 2 is a wait.
    assert shown["to choose"][0][0] == runs["m1a"].module_id and shown["to choose"][0][1] is not None
    assert [status for _, status, *_ in shown["current"]] == ["waiting"]
    assert shown["movable"][runs["m1a"].module_id] == [runs["m1a"].id]
    assert shown["positions"] and shown["trainers"][runs["m2b"].id] == ["Lê Văn An", "Vũ Thị Bích"]


def test_the_schedule_takes_two_queries_whatever_it_holds(app, db, course):
    learner = a_learner_in_every_state(db, course)
    assert learner.id  # loaded again after the set-up's commit, before counting
    with count_queries(app) as counter:
        schedule_of(learner)
    assert counter.count == 2
    nobody = UserFactory()
    assert nobody.id
    with count_queries(app) as counter:
        assert schedule_of(nobody) == []
    assert counter.count == 1
