"""/join/<run> and check-in codes: who gets in, what is logged, precedence, throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.attendance import checkin
from lms.attendance.models import Attendance, CheckInFailure, JoinClick
from lms.attendance.services import Mark, mark
from lms.errors import ServiceError
from lms.extensions import db as database
from tests.factories import RunFactory, UserFactory, hold, registration_for
from tests.helpers import page_text

VIDEO = "https://meet.example.org/room"


def run_on_now(db, **fields):
    """A run that started 30 minutes ago, its trainer and a seat holder."""
    now = datetime.now(UTC).replace(microsecond=0)
    run = RunFactory(starts_at=now - timedelta(minutes=30), **fields)
    trainer = UserFactory(email="trainer@example.org", roles=["trainer"])
    run.trainers.append(trainer)
    learner = UserFactory(email="learner@example.org", full_name="Nguyễn Văn An")
    hold(learner, run)
    db.session.commit()
    return run, trainer, learner


def clicks() -> int:
    return database.session.scalar(select(func.count(JoinClick.id)))


# -- joining ------------------------------------------------------------------------------


def test_join_sends_seat_holders_trainers_and_organisers_to_the_video_and_logs_each_click(client, db):
    run, _trainer, _learner = run_on_now(db)
    UserFactory(email="organiser@example.org", roles=["organiser"])
    for email in ("learner@example.org", "trainer@example.org", "organiser@example.org"):
        client.sign_in(email)
        response = client.get(f"/join/{run.id}")
        assert (response.status_code, response.headers["Location"]) == (302, VIDEO)
        client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    assert clicks() == 3


def test_a_forwarded_link_leads_to_the_module_page_not_into_the_meeting(client, db):
    run, _, _ = run_on_now(db)
    UserFactory(email="stranger@example.org")
    client.sign_in("stranger@example.org")
    response = client.get(f"/join/{run.id}?lang=en", follow_redirects=True)
    assert response.request.path == f"/courses/{run.module.course.slug}/modules/{run.module.key}"
    assert "You have no seat in this session" in page_text(response)
    assert VIDEO not in response.get_data(as_text=True)
    assert clicks() == 0


def test_guests_sign_in_first_and_come_back(client, db):
    run, _, _ = run_on_now(db)
    response = client.get(f"/join/{run.id}")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert (
        f"join%2F{run.id}" in response.headers["Location"]
        or f"/join/{run.id}" in response.headers["Location"]
    )
    assert clicks() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [({"status": "cancelled"}, "This session is cancelled"), ({"join_url": ""}, "not set the video link")],
)
def test_cancelled_runs_and_runs_without_a_link_say_so(client, db, change, message):
    run, _, _ = run_on_now(db)
    for name, value in change.items():
        setattr(run, name, value)
    db.session.commit()
    client.sign_in("learner@example.org")
    response = client.get(f"/join/{run.id}?lang=en")
    assert response.status_code == 200
    text = page_text(response)
    assert message in text and "Live sessions are recorded" in text
    assert clicks() == 0


def test_the_video_link_appears_in_no_page_email_or_calendar_of_a_seat_holder(app, client, db):
    from tests.conftest import sent_emails

    run, _, learner = run_on_now(db)
    registration_for(learner, run.module.course)
    db.session.commit()
    client.sign_in("learner@example.org")
    pages = [client.get(path) for path in ("/my/schedule", f"/courses/{run.module.course.slug}",
             f"/courses/{run.module.course.slug}/modules/{run.module.key}", f"/checkin/{run.id}",
             f"/calendar/{learner.calendar_token}.ics", f"/courses/{run.module.course.slug}/calendar.ics")]  # fmt: skip
    for response in pages:
        assert response.status_code == 200
        assert VIDEO not in response.get_data(as_text=True)
    assert f"/join/{run.id}" in pages[0].get_data(as_text=True)
    assert f"/join/{run.id}" in pages[4].get_data(as_text=True)
    from lms.enrollment.reminders import send_reminders

    run.starts_at = datetime.now(UTC) + timedelta(hours=5)
    run.ends_at = run.starts_at + timedelta(hours=2)
    db.session.commit()
    send_reminders(datetime.now(UTC))
    db.session.commit()
    emails = sent_emails(app)
    assert emails
    for message in emails:
        assert VIDEO not in message.as_string()


# -- check-in -------------------------------------------------------------------------------


def test_the_sheet_shows_the_code_and_qr_and_a_learner_checks_in_with_it(client, db):
    run, _, learner = run_on_now(db)
    client.sign_in("trainer@example.org")
    sheet = client.get(f"/teach/runs/{run.id}/attendance?lang=en").get_data(as_text=True)
    code = checkin.current_code(run, datetime.now(UTC))
    assert code in sheet and "<svg" in sheet and f"checkin/{run.id}?code={code}" in sheet
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})

    client.sign_in("learner@example.org")
    assert f"checkin/{run.id}" in client.get("/my/schedule").get_data(as_text=True)
    form = client.get(f"/checkin/{run.id}?code={code.lower()}").get_data(as_text=True)
    assert f'value="{code}"' in form  # the QR's address fills the code in
    response = client.submit(f"/checkin/{run.id}?lang=en", {"code": code.lower()})
    assert "You are checked in" in page_text(response)
    row = db.session.scalar(select(Attendance).where(Attendance.user_id == learner.id))
    assert (row.status, row.source) == ("present", "check-in")
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in("trainer@example.org")
    assert "Check-in" in page_text(client.get(f"/teach/runs/{run.id}/attendance?lang=en"))


def test_rotation_makes_the_shown_code_stop_working_at_once(client, db):
    run, _trainer, learner = run_on_now(db)
    now = datetime.now(UTC)
    before = checkin.current_code(run, now)
    client.sign_in("trainer@example.org")
    client.submit(f"/teach/runs/{run.id}/checkin/rotate", {})
    after = checkin.current_code(run, now)
    assert after != before
    with force_locale("en"), pytest.raises(ServiceError, match="expired"):
        checkin.check_in(run, learner, before, now)
    assert checkin.check_in(run, learner, after, now) is checkin.CheckedIn.PRESENT


def test_the_code_changes_every_ten_minutes_and_an_old_one_is_expired(db):
    run, _, learner = run_on_now(db)
    start = run.starts_at
    codes = {checkin.current_code(run, start + timedelta(minutes=10 * step)) for step in range(6)}
    assert len(codes) == 6 and all(len(code) == 6 and set(code) <= set(checkin.ALPHABET) for code in codes)
    old = checkin.current_code(run, start)
    with force_locale("en"), pytest.raises(ServiceError, match="expired"):
        checkin.check_in(run, learner, old, start + timedelta(minutes=25))


def test_check_in_is_open_from_the_start_until_15_minutes_after_the_end(db):
    run, _, learner = run_on_now(db)
    for moment, is_open in [(run.starts_at - timedelta(seconds=1), False), (run.starts_at, True),
                            (run.ends_at + timedelta(minutes=15), True),
                            (run.ends_at + timedelta(minutes=15, seconds=1), False)]:  # fmt: skip
        assert checkin.is_open(run, moment) is is_open
    late = run.ends_at + timedelta(minutes=16)
    with force_locale("en"), pytest.raises(ServiceError, match="open from its start"):
        checkin.check_in(run, learner, checkin.current_code(run, late), late)


def test_another_runs_code_and_no_seat_are_refused(db):
    run, _, learner = run_on_now(db)
    other = RunFactory(starts_at=run.starts_at, ends_at=run.ends_at)
    now = datetime.now(UTC)
    with force_locale("en"), pytest.raises(ServiceError, match="another session"):
        checkin.check_in(run, learner, checkin.current_code(other, now), now)
    with force_locale("en"), pytest.raises(ServiceError, match="no seat"):
        checkin.check_in(other, learner, checkin.current_code(other, now), now)
    assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_wrong_codes_are_throttled_per_learner_in_the_database(client, db):
    run, _, learner = run_on_now(db)
    client.sign_in("learner@example.org")
    for _ in range(checkin.MAX_WRONG):
        response = client.submit(f"/checkin/{run.id}?lang=en", {"code": "ZZZZZZ"})
        assert "not the check-in code of this session" in page_text(response)
    assert db.session.scalar(select(func.count(CheckInFailure.id))) == checkin.MAX_WRONG
    right = checkin.current_code(run, datetime.now(UTC))
    response = client.submit(f"/checkin/{run.id}?lang=en", {"code": right})
    assert "Too many wrong codes" in page_text(response)
    assert db.session.scalar(select(func.count(Attendance.id))) == 0
    later = datetime.now(UTC) + checkin.WRONG_WINDOW + timedelta(seconds=1)
    code = checkin.current_code(run, later)
    if checkin.is_open(run, later):
        assert checkin.check_in(run, learner, code, later) is checkin.CheckedIn.PRESENT


@pytest.mark.parametrize(
    ("source", "status"), [("manual", "excused"), ("manual", "absent"), ("zoom", "late")]
)
def test_a_check_in_never_changes_a_typed_or_imported_mark(db, source, status):
    run, trainer, learner = run_on_now(db)
    mark(run, learner.id, Mark(status), trainer, source=source)
    now = datetime.now(UTC)
    assert (
        checkin.check_in(run, learner, checkin.current_code(run, now), now)
        is checkin.CheckedIn.ALREADY_MARKED
    )
    row = db.session.scalar(select(Attendance).where(Attendance.user_id == learner.id))
    assert (row.status, row.source) == (status, source)


def test_saving_the_sheet_keeps_the_source_of_unchanged_rows_and_typing_beats_check_in(client, db):
    run, _, learner = run_on_now(db)
    now = datetime.now(UTC)
    checkin.check_in(run, learner, checkin.current_code(run, now), now)
    db.session.commit()
    client.sign_in("trainer@example.org")
    client.submit(f"/teach/runs/{run.id}/attendance", {f"status-{learner.id}": "present"})
    row = db.session.scalar(select(Attendance).where(Attendance.user_id == learner.id))
    assert row.source == "check-in"
    client.submit(f"/teach/runs/{run.id}/attendance", {f"status-{learner.id}": "late"})
    db.session.expire_all()
    row = db.session.scalar(select(Attendance).where(Attendance.user_id == learner.id))
    assert (row.status, row.source) == ("late", "manual")
