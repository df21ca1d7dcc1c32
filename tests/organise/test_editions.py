"""Creating and editing an edition: valid saves, and every refusal saves nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.catalogue.models import Course
from lms.enrollment.models import Registration
from lms.enrollment.services import Pick, register
from lms.errors import ServiceError
from tests.organise.conftest import course_form, shown


def course_count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Course.id)))


def test_an_organiser_creates_an_edition_as_a_draft(client, db, edition):
    client.sign_in(edition.organiser.email)
    response = client.submit("/organise/courses/new?lang=en", course_form())
    text = shown(response)
    assert response.request.path == "/organise/courses/eip-2031"
    assert "The edition is saved as a draft. Add its modules and runs next." in text
    assert "Eco-industrial parks 2031" in text and "Draft" in text

    course = db.session.scalar(select(Course).where(Course.slug == "eip-2031"))
    assert course.title == {"vi": "Khu công nghiệp sinh thái 2031", "en": "Eco-industrial parks 2031"}
    assert course.audience == {
        "vi": ["Ban quản lý khu công nghiệp", "Doanh nghiệp"],
        "en": ["Park management boards", "Enterprises"],
    }
    assert course.organisers == {"vi": "Bộ Tài chính", "en": "Ministry of Finance"}
    # Typed in Viet Nam's time (UTC+7), stored in UTC.
    assert course.registration_opens_at == datetime(2031, 1, 5, 1, 0, tzinfo=UTC)
    # 23:59 typed: the closing minute still counts, as the form says
    assert course.registration_closes_at == datetime(2031, 2, 20, 16, 59, 59, 999999, tzinfo=UTC)
    assert (course.status, course.family, course.present_threshold, course.late_threshold) == (
        "draft",
        "eip",
        75,
        25,
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "edition.created"))
    assert (event.actor_id, event.course_id) == (edition.organiser.id, course.id)
    assert "Eco-industrial parks 2031" in shown(client.get("/organise/courses?lang=en"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"opens_on": "2031-02-30"}, "Please enter a real date, e.g. 2030-10-08."),
        ({"closes_time": "25:00"}, "Please enter a time of day, e.g. 09:00."),
        ({"closes_on": "2031-01-05", "closes_time": "07:00"}, "Registration must close after it opens."),
        ({"slug": "eip-test"}, "Another edition already uses the address eip-test."),
        ({"slug": "EIP 2031"}, "Use 2 to 80 lower-case letters, digits and hyphens"),
        ({"slug": "new"}, "Use 2 to 80 lower-case letters, digits and hyphens"),
        ({"title_vi": "  "}, "Please enter the title in Vietnamese."),
        ({"timezone": "Mars/Olympus_Mons"}, "Please choose a time zone from the list."),
        ({"late_threshold": "80"}, "The share for late cannot be higher than the share for present."),
        ({"present_threshold": "120"}, "Please enter a percentage from 0 to 100."),
        ({"status": "published"}, "A new edition has no modules yet"),
        # Vienna's clocks jump from 02:00 to 03:00 on 30 March 2031.
        ({"timezone": "Europe/Vienna", "opens_on": "2031-03-30", "opens_time": "02:30", "closes_on": "2031-04-30"},
         "This time does not exist in the course's time zone on that day"),
    ],
)  # fmt: skip
def test_a_refused_edition_shows_why_and_saves_nothing(client, db, edition, changes, message):
    before = course_count(db)
    client.sign_in(edition.organiser.email)
    response = client.submit("/organise/courses/new?lang=en", course_form(**changes))
    text = shown(response)
    assert response.status_code == 200
    assert message in text
    assert "Nothing was saved" in text
    assert course_count(db) == before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_refusals_speak_vietnamese_to_a_vietnamese_organiser(client, db, edition):
    client.sign_in(edition.organiser.email)
    response = client.submit(
        "/organise/courses/new?lang=vi", course_form(title_vi="", closes_on="2030-01-01", slug="eip-test")
    )
    text = shown(response)
    assert "Vui lòng nhập tên khóa học bằng tiếng Việt." in text
    assert "Không có gì được lưu" in text


def test_an_organiser_edits_the_settings_of_an_edition(client, db, edition):
    client.sign_in(edition.organiser.email)
    form = client.get("/organise/courses/eip-test/settings?lang=en")
    assert 'value="eip-test"' in shown(form)
    data = course_form(
        slug="eip-test",
        title_en="Eco-industrial parks, autumn",
        present_threshold="80",
        late_threshold="40",
        change_cutoff_hours="48",
        status="published",
    )
    response = client.submit("/organise/courses/eip-test/settings?lang=en", data)
    assert "The edition's settings are saved." in shown(response)
    db.session.expire_all()
    course = db.session.get(Course, edition.course.id)
    assert course.title["en"] == "Eco-industrial parks, autumn"
    assert (course.present_threshold, course.late_threshold, course.change_cutoff_hours) == (80, 40, 48)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "edition.updated"))
    assert set(event.details["fields"]) >= {
        "title",
        "present_threshold",
        "late_threshold",
        "change_cutoff_hours",
    }


def test_a_published_edition_keeps_its_address(client, db, edition):
    client.sign_in(edition.organiser.email)
    response = client.submit(
        "/organise/courses/eip-test/settings?lang=en", course_form(slug="eip-renamed", status="published")
    )
    assert "The address of a published edition cannot change" in shown(response)
    assert db.session.scalar(select(Course.slug).where(Course.id == edition.course.id)) == "eip-test"


def test_a_draft_can_be_published_only_once_every_module_has_a_run(client, db, edition):
    client.sign_in(edition.organiser.email)
    client.submit("/organise/courses/new?lang=en", course_form())
    response = client.submit("/organise/courses/eip-2031/settings?lang=en", course_form(status="published"))
    assert "can be published only when each of its modules has a run" in shown(response)
    assert db.session.scalar(select(Course.status).where(Course.slug == "eip-2031")) == "draft"


def test_the_closing_minute_the_organiser_types_still_counts(client, db, edition):
    """The form says "The closing minute still counts, e.g. 23:59": a learner who sends
    the registration at 23:59:20 Viet Nam time is in, one at 00:00:00 the next day is not;
    the form shows the closing time again as typed."""
    client.sign_in(edition.organiser.email)
    window = {
        "opens_on": "2030-09-01",
        "opens_time": "08:00",
        "closes_on": "2030-09-30",
        "closes_time": "23:59",
    }
    data = course_form(slug="eip-test", status="published", **window)
    assert "The edition's settings are saved." in shown(
        client.submit("/organise/courses/eip-test/settings?lang=en", data)
    )
    form = client.get("/organise/courses/eip-test/settings?lang=en")
    page = form.get_data(as_text=True)
    assert re.search(r'name="closes_on"[^>]*value="2030-09-30"', page)
    assert re.search(r'name="closes_time"[^>]*value="23:59"', page)  # not 00:00 of the next day
    assert "The closing minute still counts, e.g. 23:59." in shown(form)

    db.session.expire_all()
    course = db.session.get(Course, edition.course.id)
    picks = {edition.run(name).module_id: Pick(edition.run(name).id) for name in ("m1a", "m2a")}
    viet_nam = ZoneInfo("Asia/Ho_Chi_Minh")
    register(edition.learner_vi, course, picks, accepted_privacy=True,
             now=datetime(2030, 9, 30, 23, 59, 20, tzinfo=viet_nam))  # fmt: skip
    db.session.commit()
    with pytest.raises(ServiceError, match="closed"):
        register(edition.learner_en, course, picks, accepted_privacy=True,
                 now=datetime(2030, 10, 1, 0, 0, 0, tzinfo=viet_nam))  # fmt: skip
    db.session.rollback()
    assert db.session.scalar(select(func.count(Registration.id))) == 1

    # Saving the form again as shown keeps the same closing instant.
    closes = course.registration_closes_at
    client.submit("/organise/courses/eip-test/settings?lang=en", data)
    db.session.expire_all()
    assert db.session.get(Course, course.id).registration_closes_at == closes
