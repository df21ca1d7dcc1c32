"""Reminders: one email per seat within the 24 hours before the session, never two."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.catalogue.models import RunStatus
from lms.enrollment import reminders
from lms.enrollment.models import ChoiceStatus, RegistrationStatus, RunChoice
from lms.enrollment.reminders import claim, due_choices, send_reminders
from lms.extensions import db as _db
from lms.mail.models import OutboxMessage
from tests.conftest import deliver_outbox, email_text, sent_emails
from tests.enrollment.calendars import events_by_uid, uid
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory, hold

NOW = datetime(2030, 10, 7, 3, 0, tzinfo=UTC)  # 10:00 on Monday 7 October in Viet Nam


def run_starting(after: timedelta, **fields):
    starts = NOW + after
    return RunFactory(starts_at=starts, ends_at=starts + timedelta(hours=2), **fields)


@pytest.fixture
def course(db):
    return CourseFactory(slug="eip-2030", title={"vi": "Khóa EIP 2030", "en": "EIP course 2030"})


def module_run(course, key: str, after: timedelta, **fields):
    module = ModuleFactory(course=course, key=key, title={"vi": f"Học phần {key}", "en": f"Module {key}"})
    return run_starting(after, module=module, **fields)


def test_a_seat_starting_within_24_hours_gets_one_reminder(app, db, course):
    learner = UserFactory(locale="en", email="daniel@example.org")
    tomorrow = module_run(course, "m1", timedelta(hours=23, minutes=59))
    hold(learner, tomorrow)

    assert send_reminders(NOW) == 1
    db.session.commit()
    assert send_reminders(NOW) == 0  # a second run of the command sends nothing
    assert send_reminders(NOW + timedelta(hours=1)) == 0
    db.session.commit()

    [message] = sent_emails(app)
    assert message["To"] == "daniel@example.org"
    assert message["Subject"] == "Reminder: Module m1 on Tuesday, October 8, 2030"
    choice = db.session.scalar(select(RunChoice))
    assert choice.reminder_sent_at == NOW


def test_no_reminder_for_runs_further_away_already_started_or_cancelled(app, db, course):
    learner = UserFactory(locale="en")
    hold(learner, module_run(course, "far", timedelta(hours=24, minutes=1)))
    hold(learner, module_run(course, "started", -timedelta(minutes=5)))
    hold(learner, module_run(course, "now", timedelta(0)))
    hold(learner, module_run(course, "cancelled", timedelta(hours=2), status=RunStatus.CANCELLED))

    assert send_reminders(NOW) == 0
    db.session.commit()
    assert sent_emails(app) == []


def test_no_reminder_for_waiting_ended_choices_or_cancelled_registrations(app, db, course):
    waiting, switched, cancelled, inactive = (UserFactory(locale="en") for _ in range(4))
    soon = module_run(course, "m1", timedelta(hours=3))
    hold(waiting, soon, status=ChoiceStatus.WAITING)
    hold(switched, soon, status=ChoiceStatus.SWITCHED)
    hold(cancelled, soon, registration_status=RegistrationStatus.CANCELLED)
    hold(inactive, soon)
    inactive.is_active_account = False
    seated = UserFactory(locale="en", email="seated@example.org")
    hold(seated, soon)

    assert send_reminders(NOW) == 1
    db.session.commit()
    assert [message["To"] for message in sent_emails(app)] == ["seated@example.org"]


def test_the_reminder_is_in_the_learners_language_and_zones(app, db, course):
    huong = UserFactory(locale="vi", timezone="Asia/Ho_Chi_Minh", email="huong@example.org")
    daniel = UserFactory(locale="en", timezone="Europe/Vienna", email="daniel@example.org")
    # 21:00 UTC: 04:00 on Tuesday in Viet Nam, 23:00 on Monday in Vienna (summer time).
    run = module_run(course, "m1", timedelta(hours=18), label={"vi": "Lớp B", "en": "Run B"})
    run.trainers = [UserFactory(full_name="Nguyễn Thị Lan", roles=["trainer"])]
    hold(huong, run)
    hold(daniel, run)

    assert send_reminders(NOW) == 2
    db.session.commit()
    messages = {message["To"]: message for message in sent_emails(app)}

    vi = email_text(messages["huong@example.org"])
    assert "Học phần m1" in messages["huong@example.org"]["Subject"]
    for snippet in ["Khóa EIP 2030", "Học phần m1", "Lớp B", "Thứ Ba, 8 tháng 10, 2030", "04:00", "06:00",
                    "Giờ Việt Nam (GMT+07:00)", "Nguyễn Thị Lan", "http://localhost/my/schedule",
                    "http://localhost/courses/eip-2030/modules/m1"]:  # fmt: skip
        assert snippet in vi, snippet
    assert "Giờ Áo" not in vi  # one zone for a reader in the course's zone

    en = email_text(messages["daniel@example.org"])
    for snippet in ["EIP course 2030", "Module m1", "Run B", "Tuesday, October 8, 2030", "04:00", "06:00",
                    "Vietnam Time (GMT+07:00)", "Monday, October 7, 2030", "23:00", "01:00",
                    "Austria Time (GMT+02:00)", "The join link appears on My schedule 30 minutes before the start",
                    "http://localhost/my/schedule"]:  # fmt: skip
        assert snippet in en, snippet
    # The subject gives the day as the reader will live it.
    assert messages["daniel@example.org"]["Subject"] == "Reminder: Module m1 on Monday, October 7, 2030"
    html = messages["daniel@example.org"].get_body(preferencelist=("html",)).get_content()
    assert '<a href="http://localhost/my/schedule">' in html
    assert "Austria Time (GMT+02:00)" in html


def test_the_reminder_carries_the_run_as_a_calendar_file(app, db, course):
    learner = UserFactory(locale="en")
    run = module_run(course, "m1", timedelta(hours=5), join_url="https://meet.example.org/eip-m1")
    hold(learner, run)
    send_reminders(NOW)
    db.session.commit()

    [message] = sent_emails(app)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "eip-2030-m1.ics"
    data = attachment.get_payload(decode=True)
    events = events_by_uid(data)
    assert list(events) == [uid(run)]
    event = events[uid(run)]
    assert event.start.astimezone(UTC) == run.starts_at
    assert event.end.astimezone(UTC) == run.ends_at
    assert str(event["SUMMARY"]) == "Module m1 – Run A"
    assert f"/join/{run.id}" in str(event["DESCRIPTION"])  # the platform's address
    assert "meet.example.org" not in message.as_string()  # the video link is nowhere in the email
    assert b"BEGIN:VTIMEZONE" in data and b"TZID:Asia/Ho_Chi_Minh" in data


def test_a_seat_claimed_by_another_run_of_the_command_is_not_reminded_again(app, db, course, monkeypatch):
    """Two cron runs that both read the due seats before either claims one."""
    hold(UserFactory(locale="en"), module_run(course, "m1", timedelta(hours=3)))
    seen_by_both = due_choices(NOW)
    monkeypatch.setattr(reminders, "due_choices", lambda now: seen_by_both)
    assert send_reminders(NOW) == 1
    assert send_reminders(NOW) == 0
    assert claim(seen_by_both[0], NOW) is False
    db.session.commit()
    assert len(sent_emails(app)) == 1


def test_concurrent_commands_send_each_reminder_once(app, db, course):
    for index in range(3):
        hold(UserFactory(locale="en"), module_run(course, f"m{index}", timedelta(hours=3 + index)))
    db.session.commit()
    counts: list[int] = []
    start = threading.Barrier(2)

    def command():
        with app.app_context():
            start.wait()
            counts.append(send_reminders(NOW))
            _db.session.commit()
            _db.session.remove()

    threads = [threading.Thread(target=command) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(counts) in ([0, 3], [1, 2])  # however they interleave, three in all
    assert sum(counts) == 3
    assert len(sent_emails(app)) == 3


def test_send_reminders_command_sends_and_reports(app, db, course, monkeypatch):
    learner = UserFactory(locale="en", email="daniel@example.org")
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    run = RunFactory(
        module=ModuleFactory(course=course, key="m1"), starts_at=soon, ends_at=soon + timedelta(hours=2)
    )
    hold(learner, run)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["lms", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "queued 1 reminder(s)" in result.output
    deliver_outbox(app)
    row = db.session.scalar(select(OutboxMessage))
    assert row.kind == "reminder" and row.sent_at is not None
    assert len(list(Path(app.config["MAIL_DIR"]).glob("*-reminder.eml"))) == 1

    again = app.test_cli_runner().invoke(args=["lms", "send-reminders"])
    assert "queued 0 reminder(s)" in again.output
