"""The registration rules, called as the routes and the CLI call them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from sqlalchemy import func, select

from lms.catalogue.models import RunStatus
from lms.enrollment import services
from lms.enrollment.models import ChoiceStatus, Registration, RegistrationStatus, RunChoice
from lms.errors import ServiceError
from lms.mail.models import OutboxMessage
from lms.organise.editions import CourseDetails, update_course
from tests.conftest import deliver_outbox
from tests.enrollment.conftest import assert_seat_counters_match, picks, runs_of
from tests.factories import UserFactory


def register(db, user, course, *keys, wait=()):
    registration, changes = services.register(
        user, course, picks(course, *keys, wait=wait), accepted_privacy=True
    )
    db.session.commit()
    return registration, changes


def fill(db, course, key: str) -> list:
    """Give every seat of one run to new learners (picking run a/b of the other module)."""
    run = runs_of(course)[key]
    other_module = "m2b" if key.startswith("m1") else "m1b"
    learners = []
    for _ in range(run.capacity - run.taken):
        learner = UserFactory()
        services.register(
            learner, course, picks(course, key, other_module, wait=(other_module,)), accepted_privacy=True
        )
        learners.append(learner)
    db.session.commit()
    return learners


def choice_of(db, user, key_run) -> RunChoice:
    return db.session.scalar(
        select(RunChoice)
        .where(RunChoice.user_id == user.id, RunChoice.run_id == key_run.id)
        .order_by(RunChoice.id.desc())
    )


def test_registering_takes_one_seat_per_module_and_emails_the_learner(db, course):
    learner = UserFactory(locale="en")
    _, changes = register(db, learner, course, "m1a", "m2b")
    runs = runs_of(course)
    assert {choice.run_id for choice in changes.confirmed} == {runs["m1a"].id, runs["m2b"].id}
    assert (runs["m1a"].taken, runs["m1b"].taken, runs["m2a"].taken, runs["m2b"].taken) == (1, 0, 0, 1)
    deliver_outbox(current_app)
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "registration_confirmed"))
    assert mail.recipient == learner.email
    assert mail.subject.startswith("You are registered")
    assert b"text/calendar" in mail.raw
    assert_seat_counters_match(course)


def test_confirmation_is_in_the_learners_language(db, course):
    register(db, UserFactory(locale="vi"), course, "m1a", "m2a")
    deliver_outbox(current_app)
    assert db.session.scalar(select(OutboxMessage.subject)).startswith("Bạn đã đăng ký")


@pytest.mark.parametrize(("opens", "closes"), [(-10, -1), (1, 10)])
def test_registration_outside_the_window_is_refused(db, course, opens, closes):
    now = course.registration_opens_at + timedelta(days=5)
    course.registration_opens_at = now + timedelta(days=opens)
    course.registration_closes_at = now + timedelta(days=closes)
    with pytest.raises(ServiceError):
        services.register(UserFactory(), course, picks(course, "m1a", "m2a"), accepted_privacy=True, now=now)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_the_deadline_is_inclusive_to_the_second(db, course):
    closes = course.registration_closes_at
    services.register(UserFactory(), course, picks(course, "m1a", "m2a"), accepted_privacy=True, now=closes)
    with pytest.raises(ServiceError, match=r"đóng|closed"):
        services.register(
            UserFactory(),
            course,
            picks(course, "m1a", "m2a"),
            accepted_privacy=True,
            now=closes + timedelta(seconds=1),
        )


def close_registration_at(course, typed: datetime) -> None:
    """The organiser types the closing time in the edition's settings (local, naive)."""
    local = course.registration_opens_at.astimezone(course.zone).replace(tzinfo=None)
    details = CourseDetails(
        slug=course.slug, family=course.family, title=course.title, summary=course.summary,
        organisers=course.organisers, audience=course.audience, issuers=course.issuers,
        timezone=course.timezone, registration_opens=local, registration_closes=typed,
        change_cutoff_hours=course.change_cutoff_hours, present_threshold=course.present_threshold,
        late_threshold=course.late_threshold, status=course.status,
    )  # fmt: skip
    update_course(course, details, UserFactory(roles=["organiser"]))


def test_the_closing_minute_an_organiser_types_counts_to_its_last_second(db, course):
    """Closing "at 23:59" (Viet Nam time): a form sent at 23:59:20 registers, one sent at
    00:00:00 the next day is refused."""
    viet_nam = ZoneInfo("Asia/Ho_Chi_Minh")
    last_day = (datetime.now(viet_nam) + timedelta(days=3)).date()
    close_registration_at(course, datetime.combine(last_day, time(23, 59)))
    db.session.commit()
    on_time = datetime.combine(last_day, time(23, 59, 20), tzinfo=viet_nam)
    services.register(UserFactory(), course, picks(course, "m1a", "m2a"), accepted_privacy=True, now=on_time)
    db.session.commit()
    late = datetime.combine(last_day + timedelta(days=1), time(0, 0), tzinfo=viet_nam)
    with pytest.raises(ServiceError, match=r"đóng|closed"):
        services.register(UserFactory(), course, picks(course, "m1a", "m2a"), accepted_privacy=True, now=late)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_a_missing_choice_saves_nothing(db, course):
    with pytest.raises(ServiceError):
        services.register(UserFactory(), course, picks(course, "m1a"), accepted_privacy=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count(RunChoice.id))) == 0
    assert_seat_counters_match(course)


def test_a_run_of_another_module_is_refused(db, course):
    runs = runs_of(course)
    tampered = picks(course, "m1a", "m2a")
    tampered[runs["m1a"].module_id] = services.Pick(runs["m2b"].id)
    with pytest.raises(ServiceError):
        services.register(UserFactory(), course, tampered, accepted_privacy=True)


def test_privacy_must_be_accepted(db, course):
    with pytest.raises(ServiceError):
        services.register(UserFactory(), course, picks(course, "m1a", "m2a"), accepted_privacy=False)


def test_a_full_run_refuses_without_waiting_and_nothing_is_saved(db, course):
    fill(db, course, "m2a")
    learner = UserFactory()
    with pytest.raises(services.RunFull):
        services.register(learner, course, picks(course, "m1a", "m2a"), accepted_privacy=True)
    db.session.rollback()
    # The seat taken in module 1 before module 2 failed is given back too.
    assert runs_of(course)["m1a"].taken == 0
    assert db.session.scalar(select(Registration).where(Registration.user_id == learner.id)) is None
    assert_seat_counters_match(course)


def test_a_full_run_offers_its_waiting_list(db, course):
    fill(db, course, "m1a")
    learner = UserFactory()
    registration, changes = register(db, learner, course, "m1a", "m2a", wait=("m1a",))
    assert [choice.run_id for choice in changes.waiting] == [runs_of(course)["m1a"].id]
    assert services.waiting_positions(registration.current_choices()) == {changes.waiting[0].id: 1}
    assert_seat_counters_match(course)


def test_registering_twice_is_refused(db, course):
    learner = UserFactory()
    register(db, learner, course, "m1a", "m2a")
    with pytest.raises(ServiceError, match=r"đã đăng ký|already registered"):
        services.register(learner, course, picks(course, "m1b", "m2b"), accepted_privacy=True)


def test_a_cancelled_run_cannot_be_chosen(db, course):
    runs_of(course)["m1a"].status = "cancelled"
    with pytest.raises(ServiceError):
        services.register(UserFactory(), course, picks(course, "m1a", "m2a"), accepted_privacy=True)


def test_switch_to_a_free_run_moves_the_seat(db, course):
    learner = UserFactory()
    registration, _ = register(db, learner, course, "m1a", "m2a")
    changes = services.switch_run(learner, registration, runs_of(course)["m1b"].id)
    db.session.commit()
    assert len(changes.confirmed) == 1
    runs = runs_of(course)
    assert (runs["m1a"].taken, runs["m1b"].taken) == (0, 1)
    statuses = db.session.scalars(
        select(RunChoice.status).where(RunChoice.user_id == learner.id).order_by(RunChoice.id)
    ).all()
    assert statuses == [ChoiceStatus.SWITCHED, ChoiceStatus.CONFIRMED, ChoiceStatus.CONFIRMED]
    deliver_outbox(current_app)
    changed = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "registration_changed"))
    # The new run to add, and the old one to take out of the learner's calendar.
    assert b'filename="new-session.ics"' in changed.raw
    assert b'filename="cancelled-session.ics"' in changed.raw
    assert_seat_counters_match(course)


def test_switch_to_a_full_run_waits_and_keeps_the_seat_until_promoted(db, course):
    learner = UserFactory(locale="en")
    registration, _ = register(db, learner, course, "m1b", "m2a")
    holders = fill(db, course, "m1a")
    changes = services.switch_run(learner, registration, runs_of(course)["m1a"].id)
    db.session.commit()
    assert changes.waiting and not changes.confirmed
    assert runs_of(course)["m1b"].taken == 1  # still holds the seat in run B

    # Someone in run A cancels: the learner moves to A at once and B's seat is freed.
    holder_registration = db.session.scalar(select(Registration).where(Registration.user_id == holders[0].id))
    changes = services.cancel_registration(holders[0], holder_registration)
    db.session.commit()
    assert [choice.user_id for choice in changes.promoted] == [learner.id]
    runs = runs_of(course)
    assert (runs["m1a"].taken, runs["m1b"].taken) == (3, 0)
    deliver_outbox(current_app)
    promoted = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "waiting_list_promoted"))
    assert promoted.recipient == learner.email and promoted.subject.startswith("A seat is yours")
    assert_seat_counters_match(course)


def test_waiting_lists_are_first_come_first_served(db, course):
    holders = fill(db, course, "m1a")
    first, second = UserFactory(), UserFactory()
    register(db, first, course, "m1a", "m2a", wait=("m1a",))
    register(db, second, course, "m1a", "m2a", wait=("m1a",))
    services.cancel_registration(
        holders[0], db.session.scalar(select(Registration).where(Registration.user_id == holders[0].id))
    )
    db.session.commit()
    assert choice_of(db, first, runs_of(course)["m1a"]).status == ChoiceStatus.CONFIRMED
    second_choice = choice_of(db, second, runs_of(course)["m1a"])
    assert second_choice.status == ChoiceStatus.WAITING
    assert services.waiting_positions([second_choice]) == {second_choice.id: 1}
    assert_seat_counters_match(course)


def test_raising_capacity_promotes_at_once(db, course):
    fill(db, course, "m1a")
    waiting = [UserFactory(), UserFactory()]
    for learner in waiting:
        register(db, learner, course, "m1a", "m2a", wait=("m1a",))
    organiser = UserFactory(roles=["organiser"])
    changes = services.set_capacity(runs_of(course)["m1a"], 4, organiser)
    db.session.commit()
    assert [choice.user_id for choice in changes.promoted] == [waiting[0].id]
    assert runs_of(course)["m1a"].taken == 4
    assert_seat_counters_match(course)


def test_capacity_cannot_drop_below_seats_taken(db, course):
    fill(db, course, "m1a")
    with pytest.raises(ServiceError):
        services.set_capacity(runs_of(course)["m1a"], 2, UserFactory(roles=["organiser"]))


def test_changes_close_at_the_cut_off(db, course):
    learner = UserFactory()
    registration, _ = register(db, learner, course, "m1a", "m2a")
    run_b = runs_of(course)["m1b"]
    too_late = run_b.starts_at - timedelta(hours=course.change_cutoff_hours - 1)
    with pytest.raises(ServiceError, match="24"):
        services.switch_run(learner, registration, run_b.id, now=too_late)
    with pytest.raises(ServiceError):
        services.cancel_registration(learner, registration, now=too_late)


def test_cancel_releases_every_seat_and_keeps_the_history(db, course):
    learner = UserFactory()
    registration, _ = register(db, learner, course, "m1a", "m2b")
    services.cancel_registration(learner, registration)
    db.session.commit()
    assert registration.status == RegistrationStatus.CANCELLED
    assert registration.cancelled_at is not None
    statuses = db.session.scalars(select(RunChoice.status).where(RunChoice.user_id == learner.id)).all()
    assert statuses == [ChoiceStatus.CANCELLED, ChoiceStatus.CANCELLED]
    assert db.session.scalar(select(func.count()).where(OutboxMessage.kind == "registration_cancelled")) == 1
    assert_seat_counters_match(course)
    # Registering again reuses the registration and adds new choices.
    again, _ = register(db, learner, course, "m1b", "m2b")
    assert again.id == registration.id and again.is_active
    assert_seat_counters_match(course)


def test_leaving_a_waiting_list(db, course):
    fill(db, course, "m1a")
    learner = UserFactory()
    _, changes = register(db, learner, course, "m1a", "m2a", wait=("m1a",))
    services.leave_waiting_list(learner, changes.waiting[0])
    db.session.commit()
    assert changes.waiting[0].status == ChoiceStatus.LEFT


def test_join_link_shows_from_30_minutes_before_until_the_end(db, course):
    learner = UserFactory()
    registration, _ = register(db, learner, course, "m1a", "m2a")
    choice = next(
        choice
        for choice in registration.current_choices()
        if choice.run.key == "a" and choice.module.key == "m1"
    )
    starts, ends = choice.run.starts_at, choice.run.ends_at
    assert not services.join_link_visible(choice, starts - timedelta(minutes=31))
    assert services.join_link_visible(choice, starts - timedelta(minutes=30))
    assert services.join_link_visible(choice, ends)
    assert not services.join_link_visible(choice, ends + timedelta(seconds=1))


def test_the_runs_a_learner_may_move_to_follow_the_switch_rules(db, course):
    learner = UserFactory()
    registration, _ = register(db, learner, course, "m1a", "m2b")
    runs = runs_of(course)
    now = datetime.now(UTC)
    movable = services.runs_to_move_to(registration, now)
    assert movable == {runs["m1a"].module_id: [runs["m1b"]], runs["m2a"].module_id: [runs["m2a"]]}
    # Once the held seat's own change deadline has passed, the module is settled.
    past_seat_deadline = services.change_deadline(course, runs["m1a"]) + timedelta(seconds=1)
    movable = services.runs_to_move_to(registration, past_seat_deadline)
    assert movable[runs["m1a"].module_id] == []
    # A cancelled run is never offered, and what is offered the service accepts.
    runs["m2a"].status = RunStatus.CANCELLED
    assert services.runs_to_move_to(registration, now)[runs["m2a"].module_id] == []
    for run in services.runs_to_move_to(registration, now)[runs["m1a"].module_id]:
        services.switch_run(learner, registration, run.id, now)
