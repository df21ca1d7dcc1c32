"""Marking attendance by hand: the sheet, mark all present, history, access."""

from __future__ import annotations

from sqlalchemy import select

from lms.attendance.models import Attendance, AttendanceChange
from tests.factories import RunFactory, UserFactory, hold
from tests.helpers import page_text


def seated_run(db):
    run = RunFactory()
    trainer = UserFactory(email="trainer@example.org", roles=["trainer"])
    run.trainers.append(trainer)
    learners = [
        UserFactory(full_name=name) for name in ("Nguyễn Văn An", "Nguyễn Thị Bình", "Trần Văn Cường")
    ]
    for learner in learners:
        hold(learner, run)
    db.session.commit()
    return run, learners


def test_the_sheet_marks_learners_and_keeps_every_change(client, db):
    run, (an, binh, _) = seated_run(db)
    client.sign_in("trainer@example.org")
    page = page_text(client.get(f"/teach/runs/{run.id}/attendance?lang=en"))
    assert "Nguyễn Thị Bình" in page
    response = client.submit(f"/teach/runs/{run.id}/attendance?lang=en", {
        f"status-{an.id}": "present", f"minutes-{an.id}": "118",
        f"status-{binh.id}": "late", f"minutes-{binh.id}": "70", f"note-{binh.id}": "Mất kết nối",
    })  # fmt: skip
    assert "2 marks changed" in page_text(response)
    response = client.submit(
        f"/teach/runs/{run.id}/attendance?lang=en",
        {f"status-{binh.id}": "excused", f"status-{an.id}": "present", f"minutes-{an.id}": "118"},
    )
    assert "1 marks changed" in page_text(response)
    binh_mark = db.session.scalar(select(Attendance).where(Attendance.user_id == binh.id))
    assert binh_mark.status == "excused" and binh_mark.marked_by.email == "trainer@example.org"
    history = db.session.scalars(
        select(AttendanceChange.status)
        .where(AttendanceChange.attendance_id == binh_mark.id)
        .order_by(AttendanceChange.id)
    ).all()
    assert history == ["late", "excused"]


def test_mark_all_present_keeps_existing_marks(client, db):
    run, (an, binh, cuong) = seated_run(db)
    client.sign_in("trainer@example.org")
    client.submit(f"/teach/runs/{run.id}/attendance", {f"status-{an.id}": "absent"})
    response = client.submit(f"/teach/runs/{run.id}/attendance?lang=en", {"action": "all_present"})
    assert "2 marks changed" in page_text(response)
    statuses = {row.user_id: row.status for row in db.session.scalars(select(Attendance))}
    assert statuses == {an.id: "absent", binh.id: "present", cuong.id: "present"}


def test_bad_minutes_and_foreign_learners_change_nothing(client, db):
    run, (an, _, _) = seated_run(db)
    stranger = UserFactory()
    db.session.commit()
    client.sign_in("trainer@example.org")
    text = page_text(
        client.submit(
            f"/teach/runs/{run.id}/attendance?lang=en",
            {f"status-{an.id}": "present", f"minutes-{an.id}": "500"},
        )
    )
    assert "Minutes must be between 0 and the length of the session (120)." in text
    client.submit(f"/teach/runs/{run.id}/attendance", {f"status-{stranger.id}": "present"})
    assert db.session.scalar(select(Attendance)) is None


def test_only_the_courses_trainers_and_organisers_may_mark(client, db):
    run, (an, _, _) = seated_run(db)
    UserFactory(email="other@example.org", roles=["trainer"])
    db.session.commit()
    client.sign_in(an.email)
    assert client.get(f"/teach/runs/{run.id}/attendance").status_code == 403
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in("other@example.org")
    assert (
        client.submit(f"/teach/runs/{run.id}/attendance", {f"status-{an.id}": "present"}).status_code == 403
    )
    assert db.session.scalar(select(Attendance)) is None


def test_the_module_page_links_managers_to_the_sheets(client, db):
    run, _ = seated_run(db)
    module = run.module
    url = f"/courses/{module.course.slug}/modules/{module.key}?lang=en"
    assert f"/teach/runs/{run.id}/attendance" not in page_text(client.get(url))
    client.sign_in("trainer@example.org")
    assert f"/teach/runs/{run.id}/attendance" in page_text(client.get(url))
