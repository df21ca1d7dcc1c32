"""Calendars: the course calendar, the personal feed and its secret address.

Every feed is read back with icalendar, as a calendar app would read it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from icalendar import Calendar

from lms.accounts.services import create_user
from lms.catalogue.models import CourseStatus, RunStatus
from lms.enrollment.ical import (
    EventFacts,
    build_calendar,
    facts_of_runs,
    forget_written_events,
    reset_calendar_token,
    run_event,
)
from lms.enrollment.models import ChoiceStatus, RegistrationStatus
from tests.enrollment.calendars import events_by_uid, parse, uid
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory, course_with_modules, hold
from tests.helpers import count_queries, page_text

JOIN_URL = "https://meet.example.org/room"


def feed_url(user) -> str:
    return f"/calendar/{user.calendar_token}.ics"


def descriptions(data: bytes) -> str:
    return "\n".join(str(event["DESCRIPTION"]) for event in parse(data).walk("VEVENT"))


def assert_times(event, run) -> None:
    """The event starts and ends at the run's instants, written in the course's zone."""
    assert event.start.astimezone(UTC) == run.starts_at
    assert event.end.astimezone(UTC) == run.ends_at
    assert event["DTSTART"].params["TZID"] == run.module.course.timezone
    assert event["DTEND"].params["TZID"] == run.module.course.timezone


# -- the course calendar ------------------------------------------------------------


def test_course_calendar_has_every_run_at_the_right_instant(client, db):
    course = course_with_modules(modules=2, runs_per_module=2, slug="eip-2030")
    response = client.get("/courses/eip-2030/calendar.ics?lang=en")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="eip-2030.ics"'
    calendar = parse(response.data)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Course eip-2030"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    events = events_by_uid(response.data)
    assert set(events) == {uid(run) for run in course.runs}
    for run in course.runs:
        event = events[uid(run)]
        assert_times(event, run)
        assert event.start.hour == 9  # 02:00 UTC is 09:00 in Viet Nam
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["LOCATION"]) == "Online"
        assert event["URL"] == f"http://localhost/courses/eip-2030/modules/{run.module.key}"
        assert int(event["SEQUENCE"]) == 0
        assert event["DTSTAMP"].dt.tzinfo is not None


@pytest.mark.parametrize(
    ("lang", "summary", "course_title"),
    [("vi", "Học phần m1 – Lớp A", "Khóa học eip-2030"), ("en", "Module m1 – Run A", "Course eip-2030")],
)
def test_course_calendar_speaks_the_readers_language(client, db, lang, summary, course_title):
    course = course_with_modules(modules=1, runs_per_module=1, slug="eip-2030")
    course.runs[0].trainers = [UserFactory(full_name="Nguyễn Thị Lan", roles=["trainer"])]
    data = client.get(f"/courses/eip-2030/calendar.ics?lang={lang}").data
    [event] = parse(data).walk("VEVENT")
    assert str(event["SUMMARY"]) == summary
    assert course_title in str(event["DESCRIPTION"])
    assert "Nguyễn Thị Lan" in str(event["DESCRIPTION"])
    assert str(parse(data)["X-WR-CALNAME"]) == course_title


def test_course_calendar_follows_the_browser_language_without_lang(client, db):
    course_with_modules(modules=1, runs_per_module=1, slug="eip-2030")
    data = client.get("/courses/eip-2030/calendar.ics", headers={"Accept-Language": "en-GB,en;q=0.8"}).data
    assert str(parse(data).walk("VEVENT")[0]["SUMMARY"]) == "Module m1 – Run A"
    data = client.get("/courses/eip-2030/calendar.ics").data
    assert str(parse(data).walk("VEVENT")[0]["SUMMARY"]) == "Học phần m1 – Lớp A"


def test_course_calendar_has_no_join_links(client, db):
    course_with_modules(modules=2, runs_per_module=2, slug="eip-2030")
    data = client.get("/courses/eip-2030/calendar.ics?lang=en").data
    assert "meet.example.org" not in descriptions(data)
    assert b"meet.example.org" not in data.replace(b"\r\n ", b"")  # not even in a folded line


def test_course_calendar_marks_a_cancelled_run(client, db):
    course = course_with_modules(modules=1, runs_per_module=2, slug="eip-2030")
    cancelled, kept = course.runs
    cancelled.status = RunStatus.CANCELLED
    cancelled.sequence += 1
    events = events_by_uid(client.get("/courses/eip-2030/calendar.ics?lang=en").data)
    assert str(events[uid(cancelled)]["STATUS"]) == "CANCELLED"
    assert int(events[uid(cancelled)]["SEQUENCE"]) == 1
    assert "This session is cancelled." in str(events[uid(cancelled)]["DESCRIPTION"])
    assert str(events[uid(kept)]["STATUS"]) == "CONFIRMED"


def test_a_rescheduled_run_keeps_its_uid_with_a_higher_sequence(client, db):
    course = course_with_modules(modules=1, runs_per_module=1, slug="eip-2030")
    run = course.runs[0]
    before = events_by_uid(client.get("/courses/eip-2030/calendar.ics").data)[uid(run)]
    run.starts_at += timedelta(days=1, hours=5)  # 14:00 the next day in Viet Nam
    run.ends_at += timedelta(days=1, hours=5)
    run.sequence += 1
    after_events = events_by_uid(client.get("/courses/eip-2030/calendar.ics").data)
    assert list(after_events) == [uid(run)]
    after = after_events[uid(run)]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert_times(after, run)
    assert after.start.hour == 14
    assert after.start.astimezone(UTC) - before.start.astimezone(UTC) == timedelta(days=1, hours=5)


def test_unknown_and_draft_courses_have_no_calendar(client, db):
    CourseFactory(slug="draft", status=CourseStatus.DRAFT)
    assert client.get("/courses/draft/calendar.ics").status_code == 404
    assert client.get("/courses/nowhere/calendar.ics").status_code == 404


# -- the personal feed ----------------------------------------------------------------


def test_personal_feed_has_the_owners_seats_with_join_links(client, db):
    learner = UserFactory(locale="en")
    course = course_with_modules(modules=2, runs_per_module=2, slug="eip-2030")
    m1a, _m1b, _m2a, m2b = course.runs
    hold(learner, m1a)
    hold(learner, m2b)
    response = client.get(feed_url(learner))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="eip-training.ics"'
    assert response.headers["Cache-Control"] == "private, no-cache"
    calendar = parse(response.data)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    assert str(calendar["X-WR-CALNAME"]) == "EIP training: my sessions"
    events = events_by_uid(response.data)
    assert set(events) == {uid(m1a), uid(m2b)}
    for run in (m1a, m2b):
        assert_times(events[uid(run)], run)
        # the platform's /join address, never the video link itself
        assert f"Join the live session: http://localhost/join/{run.id}" in str(
            events[uid(run)]["DESCRIPTION"]
        )
        assert str(events[uid(run)]["LOCATION"]) == f"http://localhost/join/{run.id}"
        assert JOIN_URL not in response.get_data(as_text=True)


@pytest.mark.parametrize(("locale", "summary"), [("vi", "Học phần m1 – Lớp A"), ("en", "Module m1 – Run A")])
def test_personal_feed_is_in_the_owners_language(client, db, locale, summary):
    learner = UserFactory(locale=locale)
    course = course_with_modules(modules=1, runs_per_module=1, slug="eip-2030")
    hold(learner, course.runs[0])
    # The reader's own language, whatever the calendar app sends.
    data = client.get(feed_url(learner), headers={"Accept-Language": "de"}).data
    [event] = parse(data).walk("VEVENT")
    assert str(event["SUMMARY"]) == summary


def test_personal_feed_spans_courses_and_their_time_zones(client, db):
    learner = UserFactory(locale="en")
    hanoi = course_with_modules(modules=1, runs_per_module=1, slug="hanoi")
    vienna_course = CourseFactory(slug="vienna", timezone="Europe/Vienna")
    summer = RunFactory(
        module=ModuleFactory(course=vienna_course, key="v1"),
        starts_at=datetime(2030, 7, 1, 7, 0, tzinfo=UTC),  # 09:00 summer time in Vienna
        ends_at=datetime(2030, 7, 1, 9, 0, tzinfo=UTC),
    )
    hold(learner, hanoi.runs[0])
    hold(learner, summer)
    data = client.get(feed_url(learner)).data
    assert sorted(str(tz["TZID"]) for tz in parse(data).walk("VTIMEZONE")) == [
        "Asia/Ho_Chi_Minh",
        "Europe/Vienna",
    ]
    events = events_by_uid(data)
    assert set(events) == {uid(hanoi.runs[0]), uid(summer)}
    assert_times(events[uid(summer)], summer)
    assert events[uid(summer)].start.hour == 9
    assert_times(events[uid(hanoi.runs[0])], hanoi.runs[0])


def test_personal_feed_leaves_out_waiting_cancelled_and_other_peoples_runs(client, db):
    learner, other = UserFactory(locale="en"), UserFactory(locale="en")
    course = course_with_modules(modules=3, runs_per_module=2, slug="eip-2030")
    m1a, m1b, m2a, m2b, m3a, _m3b = course.runs
    hold(learner, m1a)
    hold(learner, m2a, status=ChoiceStatus.WAITING)
    hold(learner, m3a, status=ChoiceStatus.SWITCHED)
    hold(other, m1b)
    hold(other, m2b)
    ended = course_with_modules(modules=1, runs_per_module=1, slug="left-course")
    hold(learner, ended.runs[0], registration_status=RegistrationStatus.CANCELLED)

    assert set(events_by_uid(client.get(feed_url(learner)).data)) == {uid(m1a)}
    assert set(events_by_uid(client.get(feed_url(other)).data)) == {uid(m1b), uid(m2b)}


def test_personal_feed_follows_a_reschedule_and_a_cancellation(client, db):
    learner = UserFactory(locale="en")
    course = course_with_modules(modules=1, runs_per_module=1, slug="eip-2030")
    run = course.runs[0]
    hold(learner, run)
    url = feed_url(learner)
    first = events_by_uid(client.get(url).data)[uid(run)]
    run.starts_at += timedelta(hours=3)
    run.ends_at += timedelta(hours=3)
    run.sequence += 1
    moved = events_by_uid(client.get(url).data)[uid(run)]
    assert int(moved["SEQUENCE"]) == int(first["SEQUENCE"]) + 1
    assert_times(moved, run)
    run.status = RunStatus.CANCELLED
    run.sequence += 1
    cancelled = events_by_uid(client.get(url).data)[uid(run)]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 2
    assert JOIN_URL not in str(cancelled["DESCRIPTION"])


def test_a_learner_without_seats_gets_an_empty_valid_feed(client, db):
    response = client.get(feed_url(UserFactory()))
    assert response.status_code == 200
    calendar = parse(response.data)
    assert calendar.walk("VEVENT") == []
    assert str(calendar["PRODID"]) and str(calendar["VERSION"]) == "2.0"


def test_unknown_token_and_inactive_owner_get_404(client, db):
    learner = UserFactory()
    url = feed_url(learner)
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    assert client.get("/calendar/" + "x" * 200 + ".ics").status_code == 404
    learner.is_active_account = False
    assert client.get(url).status_code == 404


# -- the token and the profile page ------------------------------------------------------


def test_every_account_has_a_token_from_the_start_and_reset_changes_it(db):
    learner = create_user("new@example.org", "Người Mới", password="long-enough-password")
    token = learner.calendar_token
    assert len(token) >= 40
    new = reset_calendar_token(learner)
    assert new != token
    assert learner.calendar_token == new


def test_profile_offers_the_feed_and_resetting_it_retires_the_old_address(client, db):
    learner = UserFactory(email="huong@example.org", locale="en")
    course = course_with_modules(modules=1, runs_per_module=1, slug="eip-2030")
    hold(learner, course.runs[0])
    client.sign_in("huong@example.org")

    page = page_text(client.get("/account/profile"))
    match = re.search(r'href="webcal://localhost/calendar/([\w-]+)\.ics"', page)
    assert match, "no webcal link on the profile"
    token = match.group(1)
    assert f'value="http://localhost/calendar/{token}.ics"' in page
    assert "Make a new calendar address" in page
    assert token in page_text(client.get("/account/profile"))  # the same token on every visit
    assert client.get(f"/calendar/{token}.ics").status_code == 200

    response = client.submit("/account/calendar/reset", {})
    assert response.request.path == "/account/profile"
    assert "Your calendar link is new." in page_text(response)
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    new = re.search(r'href="webcal://localhost/calendar/([\w-]+)\.ics"', page_text(response)).group(1)
    assert new != token
    assert set(events_by_uid(client.get(f"/calendar/{new}.ics").data)) == {uid(course.runs[0])}


def test_reset_needs_a_signed_in_user_and_a_csrf_token(client, db):
    learner = UserFactory(email="huong@example.org")
    token = learner.calendar_token
    response = client.submit("/account/calendar/reset", {}, follow_redirects=False)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    client.sign_in("huong@example.org")
    assert client.post("/account/calendar/reset").status_code == 400  # no CSRF token
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    assert client.get("/account/calendar/reset").status_code == 405


# -- what the calendar is built from -------------------------------------------------------


def test_build_calendar_marks_every_event_cancelled_for_a_cancel_message(app, db):
    course = course_with_modules(modules=1, runs_per_module=1, slug="eip-2030")
    data = build_calendar(course.runs, "en", name="Cancelled", include_join_link=True, method="CANCEL")
    calendar = parse(data)
    assert str(calendar["METHOD"]) == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert JOIN_URL not in str(event["DESCRIPTION"])


def test_run_event_outside_a_request_uses_the_given_base_url(app, db):
    course = course_with_modules(modules=1, runs_per_module=1, slug="eip-2030")
    run = course.runs[0]
    with force_locale("en"):
        event = run_event(run, "vi", include_join_link=True, base_url="https://training.example.org")
    assert str(event["UID"]) == f"run-{run.id}@training.example.org"
    assert str(event["URL"]) == f"https://training.example.org/join/{run.id}"
    assert str(event["SUMMARY"]) == "Học phần m1 – Lớp A"
    assert f"https://training.example.org/join/{run.id}" in str(event["DESCRIPTION"])
    assert JOIN_URL not in event.to_ical().decode()


# -- query counts stay flat as the course grows ------------------------------------------


def test_feed_query_counts_do_not_grow_with_the_number_of_modules(app, client, db):
    trainer = UserFactory(roles=["trainer"])

    def setup(modules: int):
        learner = UserFactory(locale="en")
        course = course_with_modules(modules=modules, runs_per_module=2)
        for run in course.runs:
            run.trainers = [trainer]
        for module in course.modules:
            hold(learner, module.runs[0])
        return course, feed_url(learner)

    def queries(path: str, expected_events: int) -> int:
        db.session.commit()
        client.get(path)  # warm up (first connection of this engine)
        with count_queries(app) as counter:
            response = client.get(path)
        assert response.status_code == 200
        assert len(parse(response.data).walk("VEVENT")) == expected_events
        return counter.count

    small_course, small_feed = setup(2)
    large_course, large_feed = setup(12)
    course_small = queries(f"/courses/{small_course.slug}/calendar.ics", 4)
    course_large = queries(f"/courses/{large_course.slug}/calendar.ics", 24)
    assert course_small == course_large
    assert course_small <= 6
    feed_small = queries(small_feed, 2)
    feed_large = queries(large_feed, 12)
    assert feed_small == feed_large
    assert feed_small <= 5


def test_an_account_without_a_token_is_offered_to_create_one(client, db):
    UserFactory(email="old@example.org", calendar_token=None)
    client.sign_in("old@example.org")
    page = page_text(client.get("/account/profile?lang=en"))
    assert "webcal://" not in page
    response = client.submit("/account/calendar/reset?lang=en", {})
    assert "webcal://localhost/calendar/" in page_text(response)


def test_a_calendar_put_together_from_kept_events_is_what_icalendar_writes(app, db):
    course = course_with_modules(modules=2, runs_per_module=2, slug="eip-2030")
    forget_written_events()
    with app.test_request_context():
        written = build_calendar(course.runs, "vi", name="Lịch", include_join_link=True)
        kept = build_calendar(list(reversed(course.runs)), "vi", name="Lịch", include_join_link=True)
        english = build_calendar(course.runs, "en", name="Lịch", include_join_link=True)
    calendar = Calendar.from_ical(written)
    # icalendar reads it and writes it back byte for byte: the parts are where it puts them
    # (the calendar's properties, its VTIMEZONE, the events in time order, the end).
    assert calendar.to_ical() == written
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    assert [str(event["UID"]) for event in calendar.walk("VEVENT")] == [
        uid(run) for run in sorted(course.runs, key=lambda run: (run.starts_at, run.id))
    ]
    # The same runs again (in any order) give the same calendar, apart from its DTSTAMPs'
    # minute; another language, other events.
    assert re.sub(rb"DTSTAMP:\d{8}T\d{4}", b"", kept) == re.sub(rb"DTSTAMP:\d{8}T\d{4}", b"", written)
    assert "Module page" in descriptions(english) and "Module page" not in descriptions(written)


def test_facts_read_lean_are_those_of_the_mapped_runs(app, db):
    """The confirmations read their runs' event facts as plain rows (facts_of_runs):
    the same facts as EventFacts.of takes from the mapped runs, trainers in their order,
    a join link, a cancelled run and a run without trainers included."""
    course = course_with_modules(modules=2, runs_per_module=2, slug="eip-2030")
    first, second, third, fourth = course.runs
    first.trainers = [UserFactory(full_name="Trần Văn Bình"), UserFactory(full_name="Lê Thị An")]
    second.join_url = JOIN_URL
    second.trainers = [UserFactory(full_name="Phạm Minh")]
    third.status, third.sequence = RunStatus.CANCELLED, 2
    third.label = {"vi": "Lớp C", "en": "Run C"}
    db.session.commit()
    with app.test_request_context():
        lean = facts_of_runs([run.id for run in course.runs] + [first.id])
        assert lean == {run.id: EventFacts.of(run) for run in course.runs}
        assert lean[first.id].trainers == ("Lê Thị An", "Trần Văn Bình")
        assert lean[fourth.id].trainers == ()
        assert facts_of_runs([]) == {}
