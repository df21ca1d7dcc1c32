"""Rescheduling a run tells everyone holding a seat or waiting, in their language, with
a calendar update (SEQUENCE raised by one) and the feeds follow; cancelling a run
releases its seats, sends METHOD:CANCEL and lets the learners pick the other run."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from icalendar import Calendar
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.catalogue.models import Run, RunStatus
from lms.enrollment.models import ChoiceStatus, Registration, RunChoice
from lms.enrollment.services import find_registration, switch_run
from tests.conftest import email_text
from tests.factories import UserFactory
from tests.organise.conftest import emails, run_form_of, shown


def calendar_of(message) -> Calendar:
    [part] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def event_of(data_or_calendar, run) -> object:
    calendar = (
        data_or_calendar if isinstance(data_or_calendar, Calendar) else Calendar.from_ical(data_or_calendar)
    )
    [event] = [event for event in calendar.walk("VEVENT") if str(event["UID"]) == f"run-{run.id}@localhost"]
    return event


def choice_status(db, user, run) -> str:
    db.session.expire_all()
    return db.session.scalar(
        select(RunChoice.status)
        .where(RunChoice.user_id == user.id, RunChoice.run_id == run.id)
        .order_by(RunChoice.id.desc())
    )


def fill_module_1(edition, db):
    """m1a: Hương and Daniel hold seats, with a third learner; a fourth waits for it
    while holding a seat in m1b."""
    edition.register(edition.learner_vi, "m1a", "m2a")
    edition.register(edition.learner_en, "m1a", "m2a")
    third = UserFactory(email="third@example.org", locale="vi")
    edition.register(third, "m1a", "m2b")
    waiter = UserFactory(email="waiter@example.org", full_name="Lê Văn Chờ", locale="en")
    edition.register(waiter, "m1b", "m2b")
    switch_run(waiter, find_registration(waiter, edition.course), edition.run("m1a").id)
    db.session.commit()
    return third, waiter


# -- rescheduling -----------------------------------------------------------------------


def test_rescheduling_emails_each_learner_in_their_language_with_the_new_time(client, db, app, edition):
    third, waiter = fill_module_1(edition, db)
    run = edition.run("m1a")
    assert choice_status(db, waiter, run) == ChoiceStatus.WAITING
    before = len(emails(app, db))
    client.sign_in(edition.organiser.email)

    response = client.submit(
        f"/organise/runs/{run.id}?lang=en", run_form_of(run, starts_time="13:30", ends_time="15:30")
    )
    assert "4 learners were emailed the new time with a calendar update." in shown(response)
    db.session.expire_all()
    run = db.session.get(Run, run.id)
    assert run.starts_at == datetime(2030, 10, 8, 6, 30, tzinfo=UTC)
    assert run.sequence == 1

    notices = [m for m in emails(app, db)[before:] if m["To"] != edition.organiser.email]
    assert sorted(m["To"] for m in notices) == sorted(
        [edition.learner_vi.email, edition.learner_en.email, third.email, waiter.email]
    )
    by_person = {m["To"]: m for m in notices}

    vietnamese = by_person[edition.learner_vi.email]
    assert vietnamese["Subject"] == "Giờ mới cho buổi học của bạn: Học phần 1 – Khóa học eip-test"
    text = email_text(vietnamese)
    assert "Xin chào Phạm Thu Hương," in text
    assert "13:30" in text and "09:00" in text  # new and old, in Viet Nam's time
    assert "Lớp A" in text

    english = by_person[edition.learner_en.email]
    assert english["Subject"] == "New time for your session: Module 1 – Course eip-test"
    text = email_text(english)
    new_part, old_part = text.split("New time:")[1].split("Previous time:")
    # Viet Nam's time, then Daniel's own (Vienna, summer time: UTC+2).
    assert "13:30" in new_part and "Vietnam Time (GMT+07:00)" in new_part
    assert "08:30" in new_part and "Austria Time (GMT+02:00)" in new_part
    assert "09:00" in old_part and "04:00" in old_part

    for message in notices:
        calendar = calendar_of(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        event = event_of(calendar, run)
        assert int(event["SEQUENCE"]) == 1
        assert event.start.astimezone(UTC) == run.starts_at
        assert event.start.hour == 13 and event.start.minute == 30
    # the seat holder's event has the platform's join address, never the video link
    seat_description = str(event_of(calendar_of(by_person[edition.learner_vi.email]), run)["DESCRIPTION"])
    assert f"/join/{run.id}" in seat_description and "meet.example.org" not in seat_description
    assert f"/join/{run.id}" not in str(event_of(calendar_of(by_person[waiter.email]), run)["DESCRIPTION"])
    assert "You keep your place on the waiting list of this run." in email_text(by_person[waiter.email])

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "run.rescheduled"))
    assert event.details["told"] == 4 and event.actor_id == edition.organiser.id


def test_the_calendar_feeds_show_the_new_time(client, db, edition):
    edition.register(edition.learner_vi, "m1a", "m2a")
    db.session.commit()
    run = edition.run("m1a")
    feed = f"/calendar/{edition.learner_vi.calendar_token}.ics"
    assert event_of(client.get(feed).data, run).start.hour == 9
    client.sign_in(edition.organiser.email)
    client.submit(
        f"/organise/runs/{run.id}",
        run_form_of(run, starts_on="2030-10-09", starts_time="14:00", ends_time="16:00"),
    )

    for path in (feed, "/courses/eip-test/calendar.ics"):
        event = event_of(client.get(path).data, run)
        assert event.start.astimezone(UTC) == datetime(2030, 10, 9, 7, 0, tzinfo=UTC)
        assert event.end.astimezone(UTC) == datetime(2030, 10, 9, 9, 0, tzinfo=UTC)
        assert int(event["SEQUENCE"]) == 1


def test_a_rescheduled_seat_gets_a_reminder_for_the_new_time(client, db, edition):
    edition.register(edition.learner_vi, "m1a", "m2a")
    run = edition.run("m1a")
    seat = db.session.scalar(select(RunChoice).where(RunChoice.run_id == run.id))
    seat.reminder_sent_at = datetime.now(UTC)
    db.session.commit()
    client.sign_in(edition.organiser.email)
    client.submit(f"/organise/runs/{run.id}", run_form_of(run, starts_time="10:00", ends_time="12:00"))
    db.session.expire_all()
    assert db.session.get(RunChoice, seat.id).reminder_sent_at is None


# -- cancelling ----------------------------------------------------------------------------


def test_cancelling_needs_a_confirmation_and_a_vietnamese_reason(client, db, edition):
    edition.register(edition.learner_vi, "m1a", "m2a")
    db.session.commit()
    run = edition.run("m1a")
    client.sign_in(edition.organiser.email)
    page = shown(client.get(f"/organise/runs/{run.id}/cancel?lang=en"))
    assert "1 learner holds a seat or waits for this run." in page

    response = client.submit(
        f"/organise/runs/{run.id}/cancel?lang=en", {"reason_vi": "Giảng viên bị ốm.", "reason_en": ""}
    )
    assert "Please tick the box to confirm the cancellation." in shown(response)
    response = client.submit(
        f"/organise/runs/{run.id}/cancel?lang=en", {"reason_vi": "", "reason_en": "Ill", "confirm": "y"}
    )
    assert "Please tell the learners in Vietnamese why the run is cancelled." in shown(response)
    db.session.expire_all()
    assert db.session.get(Run, run.id).status == RunStatus.SCHEDULED
    assert choice_status(db, edition.learner_vi, run) == ChoiceStatus.CONFIRMED


def test_cancelling_a_run_releases_its_seats_and_tells_every_learner(client, db, app, edition):
    third, waiter = fill_module_1(edition, db)
    run = edition.run("m1a")
    before = len(emails(app, db))
    client.sign_in(edition.organiser.email)
    response = client.submit(
        f"/organise/runs/{run.id}/cancel?lang=en",
        {"reason_vi": "Giảng viên bị ốm.", "reason_en": "The trainer is ill.", "confirm": "y"},
    )
    assert "The run is cancelled. 4 learners were emailed and offered the module's other run." in shown(
        response
    )

    db.session.expire_all()
    run = db.session.get(Run, run.id)
    assert (run.status, run.taken, run.sequence, run.cancelled_by_id) == (
        "cancelled",
        0,
        1,
        edition.organiser.id,
    )
    assert run.cancellation_reason == {"vi": "Giảng viên bị ốm.", "en": "The trainer is ill."}
    for person in (edition.learner_vi, edition.learner_en, third, waiter):
        assert choice_status(db, person, run) == ChoiceStatus.CANCELLED
    assert choice_status(db, waiter, edition.run("m1b")) == ChoiceStatus.CONFIRMED  # kept
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "run.cancelled"))
    assert (event.details["seats_released"], event.details["told"]) == (3, 4)

    notices = {m["To"]: m for m in emails(app, db)[before:]}
    assert set(notices) == {edition.learner_vi.email, edition.learner_en.email, third.email, waiter.email}
    vietnamese = notices[edition.learner_vi.email]
    assert vietnamese["Subject"] == "Buổi học bị hủy: Học phần 1 – Khóa học eip-test"
    text = email_text(vietnamese)
    assert "Giảng viên bị ốm." in text and "Lớp B" in text and "http://localhost/my/schedule" in text
    english = email_text(notices[edition.learner_en.email])
    assert "Reason: The trainer is ill." in english
    assert "Your seat in this session is released." in english
    assert "Choose the module's other run instead on My schedule" in english and "Run B" in english
    kept = email_text(notices[waiter.email])
    assert "Your place on its waiting list has ended." in kept and "You keep your seat in Run B" in kept
    for message in notices.values():
        calendar = calendar_of(message)
        assert str(calendar["METHOD"]) == "CANCEL"
        cancelled = event_of(calendar, run)
        assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) == 1

    # Every feed marks the event cancelled; nothing is deleted.
    assert str(event_of(client.get("/courses/eip-test/calendar.ics").data, run)["STATUS"]) == "CANCELLED"
    feed = client.get(f"/calendar/{edition.learner_vi.calendar_token}.ics").data
    assert str(event_of(feed, run)["STATUS"]) == "CANCELLED"
    assert str(event_of(feed, edition.run("m2a"))["STATUS"]) == "CONFIRMED"


def test_a_learner_whose_run_was_cancelled_takes_the_other_run_from_my_schedule(client, db, app, edition):
    edition.register(edition.learner_en, "m1a", "m2a")
    db.session.commit()
    run, other = edition.run("m1a"), edition.run("m1b")
    client.sign_in(edition.organiser.email)
    client.submit(
        f"/organise/runs/{run.id}/cancel", {"reason_vi": "Lý do", "reason_en": "Flooding", "confirm": "y"}
    )
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})

    client.sign_in(edition.learner_en.email)
    page = shown(client.get("/my/schedule?lang=en"))
    section = page[page.index('id="choose-m1"') :]
    assert "This session was cancelled. Please choose another run of this module." in section
    assert "Reason: Flooding" in re.sub(r"\s+", " ", section)
    assert "Take a seat in Run B" in section

    response = client.submit(
        f"/my/registrations/{_registration_id(db, edition)}/switch?lang=en", {"run_id": other.id}
    )
    page = shown(response)
    assert "Done: you have a seat in this run." in page
    assert 'id="choose-m1"' not in page
    assert choice_status(db, edition.learner_en, other) == ChoiceStatus.CONFIRMED
    changed = [
        m for m in emails(app, db, edition.learner_en.email) if "Your session has changed" in m["Subject"]
    ]
    assert len(changed) == 1 and "Run B" in email_text(changed[0])


def test_when_the_other_run_is_full_the_learner_joins_its_waiting_list(client, db, edition):
    edition.register(edition.learner_en, "m1a", "m2a")
    for _ in range(3):
        edition.register(UserFactory(), "m1b", "m2b")
    db.session.commit()
    run, other = edition.run("m1a"), edition.run("m1b")
    client.sign_in(edition.organiser.email)
    client.submit(f"/organise/runs/{run.id}/cancel", {"reason_vi": "Lý do", "confirm": "y"})
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})

    client.sign_in(edition.learner_en.email)
    assert "Join the waiting list of Run B" in shown(client.get("/my/schedule?lang=en"))
    response = client.submit(
        f"/my/registrations/{_registration_id(db, edition)}/switch?lang=en", {"run_id": other.id}
    )
    assert "you are on its waiting list, and we will email you as soon as a seat is yours" in shown(response)
    assert choice_status(db, edition.learner_en, other) == ChoiceStatus.WAITING


def test_a_cancelled_run_can_be_neither_changed_nor_cancelled_again(client, db, edition):
    run = edition.run("m1a")
    client.sign_in(edition.organiser.email)
    client.submit(f"/organise/runs/{run.id}/cancel", {"reason_vi": "Lý do", "confirm": "y"})
    assert "This run is cancelled, so it can no longer be changed." in shown(
        client.get(f"/organise/runs/{run.id}?lang=en")
    )
    response = client.submit(
        f"/organise/runs/{run.id}?lang=en", run_form_of(run, starts_time="15:00", ends_time="17:00")
    )
    assert "This run is cancelled, so it can no longer be changed." in shown(response)
    assert "This run is already cancelled." in shown(
        client.get(f"/organise/runs/{run.id}/cancel?lang=en", follow_redirects=True)
    )
    db.session.expire_all()
    assert db.session.get(Run, run.id).sequence == 1


def _registration_id(db, edition) -> int:
    return db.session.scalar(select(Registration.id).where(Registration.user_id == edition.learner_en.id))


def test_a_new_time_and_more_seats_in_one_save_promote_with_the_new_time(client, db, app, edition):
    for _ in range(3):
        edition.register(UserFactory(), "m1a", "m2a")
    edition.register(edition.learner_en, "m1b", "m2b")
    switch_run(
        edition.learner_en, find_registration(edition.learner_en, edition.course), edition.run("m1a").id
    )
    db.session.commit()
    run = edition.run("m1a")
    before = len(emails(app, db))
    client.sign_in(edition.organiser.email)
    response = client.submit(
        f"/organise/runs/{run.id}?lang=en",
        run_form_of(run, starts_time="13:30", ends_time="15:30", capacity="4"),
    )
    assert "1 person on the waiting list got a seat and was emailed." in shown(response)
    mine = {m["Subject"]: m for m in emails(app, db)[before:] if m["To"] == edition.learner_en.email}
    rescheduled = mine["New time for your session: Module 1 – Course eip-test"]
    assert "waiting list" in email_text(rescheduled)
    promoted = mine["A seat is yours: Course eip-test"]
    event = event_of(calendar_of(promoted), run)
    assert event.start.astimezone(UTC) == datetime(2030, 10, 8, 6, 30, tzinfo=UTC)
    assert int(event["SEQUENCE"]) == 1
    assert choice_status(db, edition.learner_en, run) == ChoiceStatus.CONFIRMED
