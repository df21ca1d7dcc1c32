"""Completion, module by module: attendance plus a passed quiz, or an exception."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import User
from lms.attendance import services
from lms.attendance.models import AttendanceStatus
from lms.audit.models import AuditEvent
from lms.completion import exceptions as completion_exceptions
from lms.completion.models import CompletionException
from lms.completion.progress import progress as progress_of
from lms.quizzes import services as quizzes
from lms.quizzes.models import Quiz
from tests.factories import CourseFactory, UserFactory, course_with_modules, hold
from tests.helpers import count_queries, page_text
from tests.quizzes.conftest import ALL_RIGHT, form_values, make_quiz


def setup_course(db, modules: int = 2):
    course = course_with_modules(modules, 2)
    learner = UserFactory(email="hanh@example.org")
    organiser = UserFactory(roles=["organiser"])
    for module in course.modules:
        hold(learner, module.runs[0])
        db.session.add(make_quiz(module, opens_at=module.runs[0].starts_at.replace(year=2020)))
    db.session.commit()
    return course, learner, organiser


def pass_quiz(db, module, learner):
    quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == module.id))
    attempt = quizzes.start_attempt(quiz, learner)
    quizzes.save_answers(attempt, learner, form_values(attempt, ALL_RIGHT))
    quizzes.submit_attempt(attempt, learner)


def test_a_module_needs_attendance_and_a_passed_quiz(db):
    course, learner, organiser = setup_course(db)
    first, second = course.modules
    assert not progress_of(learner, course).complete
    services.mark(first.runs[0], learner.id, services.Mark(AttendanceStatus.LATE, 60), organiser)
    progress = progress_of(learner, course)
    assert progress.modules[0].attended and not progress.modules[0].done  # quiz missing
    pass_quiz(db, first, learner)
    assert progress_of(learner, course).modules[0].done
    services.mark(second.runs[0], learner.id, services.Mark(AttendanceStatus.ABSENT), organiser)
    pass_quiz(db, second, learner)
    assert not progress_of(learner, course).complete
    completion_exceptions.record_exception(
        learner, second, "Attended the other run; the report was lost.", organiser
    )
    progress = progress_of(learner, course)
    assert progress.complete and progress.done_count == 2


def test_progress_page_shows_what_is_done_and_missing(client, db):
    course, learner, organiser = setup_course(db)
    services.mark(
        course.modules[0].runs[0], learner.id, services.Mark(AttendanceStatus.PRESENT, 115), organiser
    )
    db.session.commit()
    client.sign_in("hanh@example.org")
    text = page_text(client.get(f"/my/progress/{course.slug}?lang=en"))
    assert "0 of 2 modules completed" in text
    assert "Attended (115 minutes)" in text and "Not recorded yet" in text and "Not taken yet" in text
    assert client.get("/my/progress/nope").status_code == 404
    UserFactory(email="other@example.org")
    db.session.commit()
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in("other@example.org")
    assert client.get(f"/my/progress/{course.slug}").status_code == 404  # not registered


def test_progress_queries_do_not_grow_with_the_course(app, db):
    def queries(modules: int) -> int:
        course, learner, _ = setup_course(db, modules)
        with count_queries(app) as counter:
            progress_of(learner, course)
        return counter.count

    small = queries(2)
    db.session.query(User).filter(User.email == "hanh@example.org").update({"email": "first@example.org"})
    db.session.commit()
    assert queries(8) == small


def test_an_organiser_records_an_exception_from_the_learners_progress_page(client, db):
    course, learner, organiser = setup_course(db)
    organiser.email = "boss@example.org"
    db.session.commit()
    url = f"/organise/courses/{course.slug}/learners/{learner.id}/progress?lang=en"
    client.sign_in("hanh@example.org")
    assert client.get(url).status_code == 403  # learners cannot open it, not even their own
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in("boss@example.org")
    first = course.modules[0]
    text = page_text(client.submit(url, {"module_id": first.id, "reason": ""}))
    assert "Please give the reason" in text
    text = page_text(client.submit(url, {"module_id": first.id, "reason": "Báo cáo Zoom bị mất."}))
    assert "The exception is recorded." in text and "1 of 2 modules completed" in text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "completion_exception.recorded"))
    assert event.details["reason"] == "Báo cáo Zoom bị mất." and event.actor_id == organiser.id


def test_an_organiser_revokes_an_exception_and_the_module_is_missing_again(client, db):
    course, learner, organiser = setup_course(db)
    organiser.email = "boss@example.org"
    db.session.commit()
    url = f"/organise/courses/{course.slug}/learners/{learner.id}/progress?lang=en"
    client.sign_in("boss@example.org")
    first = course.modules[0]
    client.submit(url, {"module_id": first.id, "reason": "Báo cáo Zoom bị mất."})
    text = page_text(client.submit(url, {"module_id": first.id, "reason": "Twice"}))
    assert "already recorded" in text
    exception = db.session.scalar(select(CompletionException))
    revoke = f"/organise/courses/{course.slug}/learners/{learner.id}/exceptions/{exception.id}/revoke?lang=en"
    assert "Please give the reason for revoking" in page_text(client.submit(revoke, {"reason": " "}))
    text = page_text(client.submit(revoke, {"reason": "Đã tìm thấy báo cáo: vắng mặt."}))
    assert "The exception is revoked." in text and "0 of 2 modules completed" in text
    assert "Revoked by" in text and "Đã tìm thấy báo cáo: vắng mặt." in text
    db.session.refresh(exception)
    assert exception.revoked_by_id == organiser.id and exception.reason == "Báo cáo Zoom bị mất."
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "completion_exception.revoked"))
    assert event.details["reason"] == "Đã tìm thấy báo cáo: vắng mặt."
    # a second revoke is refused, another course's URL finds nothing, GET does nothing
    assert "already revoked" in page_text(client.submit(revoke, {"reason": "again"}))
    assert client.get(revoke).status_code == 405
    other = CourseFactory()
    db.session.commit()
    wrong = f"/organise/courses/{other.slug}/learners/{learner.id}/exceptions/{exception.id}/revoke"
    assert client.submit(wrong, {"reason": "x"}, follow_redirects=False).status_code == 404
