"""Recordings: who adds them, who watches them until they expire, who is told."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.attendance.services import Mark, mark
from lms.errors import ServiceError
from lms.mail.models import OutboxMessage
from lms.recordings import services
from lms.recordings.models import Recording
from tests.conftest import email_text, sent_emails
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory, hold
from tests.helpers import page_text
from tests.materials import samples

LINK = "https://video.example.org/recording-m1"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def past_module(db):
    """Module m1 with a run that took place yesterday and one next week; a learner in
    each run, one learner absent from the past run, one excused, one present; a trainer
    of the past run."""
    now = datetime.now(UTC).replace(microsecond=0)
    course = CourseFactory(slug="eip-rec")
    module = ModuleFactory(course=course, key="m1", position=1)
    trainer = UserFactory(email="trainer@example.org", roles=["trainer"])
    past = RunFactory(module=module, key="a", starts_at=now - timedelta(days=1), trainers=[trainer])
    later = RunFactory(module=module, key="b", starts_at=now + timedelta(days=7), trainers=[trainer])
    people = {
        name: UserFactory(email=f"{name}@example.org", locale="en")
        for name in ("absent", "excused", "present", "later")
    }
    for name in ("absent", "excused", "present"):
        hold(people[name], past)
    hold(people["later"], later)
    mark(past, people["absent"].id, Mark("absent"), trainer)
    mark(past, people["excused"].id, Mark("excused"), trainer)
    mark(past, people["present"].id, Mark("present"), trainer)
    UserFactory(email="stranger@example.org")
    db.session.commit()
    return past, later, trainer, people


def in_days(days: int) -> date:
    return (datetime.now(UTC) + timedelta(days=days)).date()


def test_adding_a_link_emails_those_who_missed_it_once(app, client, db):
    past, _later, _trainer, _people = past_module(db)
    client.sign_in("trainer@example.org")
    response = client.submit(
        f"/teach/runs/{past.id}/recordings?lang=en", {"url": LINK, "expires_on": in_days(30).isoformat()}
    )
    assert "The recording is added." in page_text(response)
    client.submit(
        f"/teach/runs/{past.id}/recordings", {"url": LINK + "-2", "expires_on": in_days(30).isoformat()}
    )
    emails = [message for message in sent_emails(app) if "recording" in message["Subject"]]
    assert sorted(message["To"] for message in emails) == ["absent@example.org", "excused@example.org"]
    assert "recording of module 1 is available" in emails[0]["Subject"]
    assert "/courses/eip-rec/modules/m1" in email_text(emails[0])
    assert db.session.scalar(select(func.count(Recording.id))) == 2


def test_learners_of_either_run_and_staff_watch_until_it_expires(client, db):
    past, _later, trainer, _people = past_module(db)
    recording = services.add_recording(past, trainer, in_days(3), url=LINK)
    db.session.commit()
    for email, status in [("later@example.org", 302), ("present@example.org", 302),
                          ("trainer@example.org", 302), ("stranger@example.org", 404)]:  # fmt: skip
        client.sign_in(email)
        response = client.get(f"/recordings/{recording.id}")
        assert response.status_code == status, email
        if status == 302:
            assert response.headers["Location"] == LINK
            module_page = client.get("/courses/eip-rec/modules/m1").get_data(as_text=True)
            assert f"/recordings/{recording.id}" in module_page
        client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    assert "/account/login" in client.get(f"/recordings/{recording.id}").headers["Location"]

    recording.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    client.sign_in("later@example.org")
    response = client.get(f"/recordings/{recording.id}?lang=en")
    assert response.status_code == 404 and "has expired" in page_text(response)
    assert f"/recordings/{recording.id}" not in client.get("/courses/eip-rec/modules/m1").get_data(
        as_text=True
    )


def test_a_file_goes_through_the_materials_checks_and_is_served_after_the_access_check(client, db):
    past, _later, trainer, _people = past_module(db)
    recording = services.add_recording(
        past, trainer, in_days(3), filename="Buổi 1.mp4", stream=io.BytesIO(MP4)
    )
    db.session.commit()
    with pytest.raises(ServiceError, match="MP4"):
        services.add_recording(past, trainer, in_days(3), filename="fake.mp4", stream=io.BytesIO(samples.PDF))
    with pytest.raises(ServiceError):
        services.add_recording(past, trainer, in_days(3), filename="run.exe", stream=io.BytesIO(b"MZ"))
    db.session.rollback()
    client.sign_in("absent@example.org")
    response = client.get(f"/recordings/{recording.id}")
    assert response.status_code == 200 and response.data == MP4 and response.mimetype == "video/mp4"
    response.close()
    # a video player asks for parts of the file (lms.materials.serving, as for materials)
    part = client.get(f"/recordings/{recording.id}", headers={"Range": "bytes=4-11"})
    assert part.status_code == 206 and part.data == MP4[4:12]
    part.close()
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in("stranger@example.org")
    assert client.get(f"/recordings/{recording.id}").status_code == 404


@pytest.mark.parametrize(
    ("which", "expires", "message"),
    [("later", 30, "once the session has taken place"), ("past", -1, "must be in the future"),
     ("past", None, "Please choose the day")],
)  # fmt: skip
def test_refusals_save_nothing(client, db, which, expires, message):
    past, later, _trainer, _people = past_module(db)
    run = past if which == "past" else later
    client.sign_in("trainer@example.org")
    data = {"url": LINK} | ({"expires_on": in_days(expires).isoformat()} if expires is not None else {})
    response = client.submit(f"/teach/runs/{run.id}/recordings?lang=en", data)
    assert response.status_code == 200 and message in page_text(response)
    assert db.session.scalar(select(func.count(Recording.id))) == 0
    assert (
        db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "recording_added"))
        == 0
    )


def test_only_the_runs_trainers_and_organisers_add_recordings(client, db):
    past, _later, _trainer, _people = past_module(db)
    UserFactory(email="other.trainer@example.org", roles=["trainer"])
    client.sign_in("other.trainer@example.org")
    assert client.get(f"/teach/runs/{past.id}/recordings").status_code == 403
    assert client.post(f"/teach/runs/{past.id}/recordings", data={"csrf_token": client.csrf_token(), "url": LINK,
                       "expires_on": in_days(5).isoformat()}).status_code == 403  # fmt: skip
    assert db.session.scalar(select(func.count(Recording.id))) == 0


def test_registration_and_join_pages_say_sessions_are_recorded(client, db):
    past, _later, _trainer, _people = past_module(db)
    past.module.course.status = "published"
    db.session.commit()
    client.sign_in("stranger@example.org")
    for lang, words in (("en", "Live sessions are recorded"), ("vi", "được ghi hình")):
        assert words in page_text(client.get(f"/courses/eip-rec/register?lang={lang}"))
