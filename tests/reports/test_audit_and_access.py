"""The audit log page, and who may open the organiser's report pages."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.jobs.models import BackgroundJob
from tests.factories import AuditEventFactory, CourseFactory, UserFactory
from tests.helpers import count_queries, page_text

SLUG = "eip-report"


def add_events(db, course, actor, count: int, action: str = "run.capacity_changed", start: int = 0) -> None:
    """Events about the edition's runs in turn (or a missing run when it has none)."""
    base = datetime(2030, 1, 1, tzinfo=UTC)
    runs = course.runs
    for index in range(start, start + count):
        run_id = runs[index % len(runs)].id if runs else 10_000 + index
        AuditEventFactory(actor_id=actor.id, action=action, object_id=run_id, course_id=course.id,
                          details={"before": index, "after": index + 1}, created_at=base + timedelta(minutes=index))  # fmt: skip
    db.session.commit()


def rows(text: str) -> list[str]:
    body = re.search(r'<table class="data-table audit-table">.*?<tbody>(.*?)</tbody>', text, re.S)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))).strip() for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)] if body else []  # fmt: skip


def test_audit_log_newest_first_in_words_with_object_and_details(organiser_client, db, edition):
    add_events(db, edition.course, edition.trainer, 2, action="attendance.marked")
    add_events(db, edition.course, edition.organiser, 1, action="run.capacity_changed", start=5)
    text = page_text(organiser_client.get("/organise/audit?lang=en"))
    assert "3 events" in text
    lines = rows(text)
    # Objects by their names, details with their labels (run 5 % 4 is module 1's first run... in turn)
    run = edition.course.runs[5 % len(edition.course.runs)]
    name = f"Module {run.module.position}, {run.label['en']}"
    assert lines[0] == (
        f"Tue, Jan 1, 2030, 7:05 AM Đỗ Minh Châu Changed a run's capacity Run: {name} eip-report Before 5 After 6"
    )
    assert "Nguyễn Thị Lan Marked attendance Run: Module 1, Run A" in lines[1] + lines[2]
    vietnamese = page_text(organiser_client.get("/organise/audit?lang=vi"))
    assert "Thay đổi số chỗ của lớp" in vietnamese and "Điểm danh" in vietnamese
    assert "Trước 5 Sau 6" in rows(vietnamese)[0]  # the details' labels in Vietnamese, not their keys


def test_audit_log_filters_by_edition_and_person(organiser_client, db, edition):
    other = CourseFactory(slug="other-edition")
    db.session.commit()
    add_events(db, edition.course, edition.trainer, 2, action="attendance.marked")
    add_events(db, other, edition.organiser, 3, action="material.moved", start=10)
    by_course = page_text(organiser_client.get(f"/organise/audit?course={other.id}&lang=en"))
    assert (
        "3 events" in by_course and "Moved a material" in by_course and "Marked attendance" not in by_course
    )
    by_person = page_text(organiser_client.get(f"/organise/audit?person={edition.trainer.id}&lang=en"))
    assert (
        "2 events" in by_person and "Marked attendance" in by_person and "Moved a material" not in by_person
    )
    both = page_text(
        organiser_client.get(f"/organise/audit?person={edition.trainer.id}&course={other.id}&lang=en")
    )
    assert "0 events" in both and "No events match." in both
    # The filter lists offer the editions and the people who acted, the chosen ones selected.
    assert f'<option value="{edition.trainer.id}" selected>Nguyễn Thị Lan</option>' in by_person


def test_audit_log_pages_and_unknown_actions(organiser_client, db, edition):
    add_events(db, edition.course, edition.organiser, 55)
    add_events(db, edition.course, edition.organiser, 1, action="course.long_gone", start=100)
    first = page_text(organiser_client.get("/organise/audit?lang=en"))
    assert "56 events" in first and "Page 1 of 2" in first and len(rows(first)) == 50
    assert "Course: long gone" in rows(first)[0]  # an action no package declares (an old log), still readable
    second = page_text(organiser_client.get("/organise/audit?page=2&lang=en"))
    assert "Page 2 of 2" in second and len(rows(second)) == 6
    assert "Run: Module 1, Run A" in rows(second)[-1]


def test_audit_log_makes_a_fixed_number_of_queries(app, organiser_client, db, edition):
    add_events(db, edition.course, edition.trainer, 3)
    with count_queries(app) as small:
        organiser_client.get("/organise/audit")
    for index in range(10):
        person = UserFactory(full_name=f"Người {index}", roles=["trainer"])
        add_events(db, CourseFactory(), person, 3, start=10 * index)
    with count_queries(app) as large:
        organiser_client.get("/organise/audit")
    assert small.count == large.count


def organiser_pages(edition) -> list[tuple[str, str]]:
    run = edition.course.modules[0].runs[0]
    return [
        ("GET", f"/organise/courses/{SLUG}/exports"),
        ("POST", f"/organise/courses/{SLUG}/exports/attendance.csv"),  # the buttons start jobs
        ("POST", f"/organise/courses/{SLUG}/exports/registrations.xlsx"),
        ("GET", f"/organise/courses/{SLUG}/runs/{run.id}/roster"),
        ("POST", f"/organise/courses/{SLUG}/runs/{run.id}/roster.csv"),
        ("GET", f"/organise/courses/{SLUG}/dashboard"),
        ("POST", f"/organise/courses/{SLUG}/dashboard.xlsx"),
        ("GET", "/organise/jobs"),
        ("GET", "/organise/audit"),
    ]


def request(client, method: str, path: str):
    if method == "GET":
        return client.get(path)
    return client.submit(path, {}, follow_redirects=False)  # with a valid CSRF token


@pytest.mark.parametrize("who", ["trainer", "learner"])
def test_trainers_and_learners_are_refused(client, db, edition, who):
    email = edition.trainer.email if who == "trainer" else edition.huong.email
    client.sign_in(email)
    for method, path in organiser_pages(edition):
        assert request(client, method, path).status_code == 403, path
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 0


def test_guests_are_sent_to_sign_in(client, db, edition):
    for method, path in organiser_pages(edition):
        response = request(client, method, path)
        assert response.status_code == 302, path
        assert "/account/login" in response.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 0


def test_organisers_find_the_pages_from_the_course_and_the_seat_overview(organiser_client, edition):
    course_page = page_text(organiser_client.get(f"/courses/{SLUG}?lang=en"))
    assert (
        f"/organise/courses/{SLUG}/dashboard" in course_page
        and f"/organise/courses/{SLUG}/exports" in course_page
    )
    assert "/organise/audit" in course_page  # in the main menu
    seats = page_text(organiser_client.get(f"/organise/courses/{SLUG}/runs?lang=en"))
    assert f"/organise/courses/{SLUG}/dashboard" in seats and f"/organise/courses/{SLUG}/exports" in seats
    dashboard = page_text(organiser_client.get(f"/organise/courses/{SLUG}/dashboard?lang=en"))
    assert f"/organise/courses/{SLUG}/runs" in dashboard


def test_learners_do_not_see_the_organiser_links(client, edition):
    client.sign_in(edition.huong.email)
    text = page_text(client.get(f"/courses/{SLUG}?lang=en"))
    assert "/organise/" not in text


def test_every_action_is_declared_with_labels_in_both_languages(app):
    """record() refuses an undeclared action or detail field; every declared one is said
    in words in Vietnamese and English."""
    from flask_babel import force_locale

    from lms.audit.actions import UndeclaredAction, declared_actions
    from lms.audit.models import record

    with app.app_context():
        with pytest.raises(UndeclaredAction):
            record("run.teleported")
        with pytest.raises(UndeclaredAction):
            record("run.capacity_changed", seats=3)
        actions = declared_actions()
        assert len(actions) >= 30
        for name, action in actions.items():
            assert "." in name and name == name.lower(), name
            with force_locale("vi"):
                vietnamese = [str(action.label), *(str(detail.label) for detail in action.details.values())]
            with force_locale("en"):
                english = [str(action.label), *(str(detail.label) for detail in action.details.values())]
            assert all(vietnamese) and all(english), name
            assert str(action.label) != "" and vietnamese[0] != english[0], f"{name}: no Vietnamese label"
