"""`flask lms demo`: the shipped course, an open demo edition and demo accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.accounts.services import authenticate, find_user_by_email
from lms.attendance.models import Attendance
from lms.catalogue.models import Course, Module, RegistrationState, Run
from lms.catalogue.services import can_manage_course
from lms.certificates.models import Certificate
from lms.demo import DEMO_PASSWORD, DEMO_TRAINER
from lms.demo_learners import PAST_EDITION_EXTRAS
from lms.enrollment.models import Registration, RunChoice
from lms.enrollment.services import is_registered
from lms.quizzes import services as quizzes
from lms.quizzes.models import Answer, Attempt, AttemptStatus, Quiz, QuizPurpose
from lms.reports import learning_gain
from tests.conftest import empty_all_tables

TABLES = (User, Registration, RunChoice, Attendance, Attempt, Answer, Certificate)


def run_demo(app):
    result = app.test_cli_runner().invoke(args=["lms", "demo"])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_loads_both_editions_and_accounts_and_is_idempotent(app, db):
    output = run_demo(app)
    assert "course eip-2023: created" in output
    assert "course eip-demo: created" in output
    assert DEMO_PASSWORD in output
    counts = [db.session.scalar(select(func.count()).select_from(table)) for table in (*TABLES, Run)]
    first = past_edition(db)
    output = run_demo(app)
    assert "course eip-demo: exists" in output
    assert "has learners, left as it is" in output and "registered already" in output
    db.session.expire_all()
    assert counts == [db.session.scalar(select(func.count()).select_from(table)) for table in (*TABLES, Run)]
    assert past_edition(db) == first
    assert counts[-1] == 24  # two editions of six modules with two runs


def test_demo_edition_is_open_with_runs_ahead(app, db):
    run_demo(app)
    demo = db.session.scalar(select(Course).where(Course.slug == "eip-demo"))
    now = datetime.now(UTC)
    assert demo.registration_state(now) == RegistrationState.OPEN
    assert demo.title["en"].endswith("(demo edition)")
    first = min(run.starts_at for run in demo.runs)
    assert now + timedelta(days=14) < first < now + timedelta(days=35)
    assert demo.registration_closes_at < first
    # Same weekday and local time of day as the 2023 schedule.
    original = db.session.scalar(select(Course).where(Course.slug == "eip-2023"))
    first_2023 = min(run.starts_at for run in original.runs).astimezone(original.zone)
    first_demo = first.astimezone(demo.zone)
    assert (first_demo.weekday(), first_demo.time()) == (first_2023.weekday(), first_2023.time())


def test_demo_accounts_can_sign_in_with_their_roles(app, db):
    run_demo(app)
    for email, role in [
        ("organiser@demo.example.org", "organiser"),
        ("learner@demo.example.org", "learner"),
        ("lan.nguyen@trainers.example.org", "trainer"),
    ]:
        user = authenticate(email, DEMO_PASSWORD)
        assert user is not None, email
        assert user.has_role(role)


def past_edition(db) -> dict:
    """eip-2023 by natural keys (emails, module and run keys), not ids: the same data
    made again has other ids on PostgreSQL, whose sequences do not restart."""
    course = db.session.scalar(select(Course).where(Course.slug == "eip-2023"))
    module_of = {run.id: (run.module.key, run.key) for run in course.runs}
    email = dict(db.session.execute(select(User.id, User.email)).all())
    people = sorted(db.session.execute(select(User.email, User.full_name, User.organisation,
                    User.organisation_type, User.province, User.gender)).all())  # fmt: skip
    registered = sorted((email[r.user_id], r.created_at) for r in db.session.scalars(
        select(Registration).where(Registration.course_id == course.id)))  # fmt: skip
    seats = sorted((email[c.user_id], module_of[c.run_id], c.status) for c in db.session.scalars(
        select(RunChoice).where(RunChoice.run_id.in_(module_of))))  # fmt: skip
    marks = sorted((email[m.user_id], module_of[m.run_id], m.status, m.minutes) for m in db.session.scalars(
        select(Attendance).where(Attendance.run_id.in_(module_of))))  # fmt: skip
    quiz_of = {quiz.id: (quiz.module.key, quiz.purpose) for quiz in db.session.scalars(
        select(Quiz).join(Module).where(Module.course_id == course.id))}  # fmt: skip
    attempts = sorted((email[a.user_id], quiz_of[a.quiz_id], a.number, a.status, a.percent, a.started_at)
                      for a in db.session.scalars(select(Attempt).where(Attempt.quiz_id.in_(quiz_of))))  # fmt: skip
    holders = sorted(email[user_id] for user_id in db.session.scalars(
        select(Certificate.user_id).where(Certificate.course_id == course.id)))  # fmt: skip
    return {"people": people, "registered": registered, "seats": seats, "marks": marks,
            "attempts": attempts, "holders": holders}  # fmt: skip


def test_the_same_seed_gives_the_same_past_edition(app, db):
    run_demo(app)
    first = past_edition(db)
    db.session.remove()
    empty_all_tables()
    run_demo(app)
    assert past_edition(db) == first


def test_the_past_edition_is_lived_in(app, db):
    run_demo(app)
    data = past_edition(db)
    course = db.session.scalar(select(Course).where(Course.slug == "eip-2023"))
    learners = [row for row in data["people"] if row.email.endswith("@learners.example.org")]
    assert len(data["registered"]) == 150
    assert len({row.province for row in learners}) >= 10
    assert len({row.organisation_type for row in learners}) >= 6
    assert {"female", "male"} <= {row.gender for row in learners}
    assert any(
        set(row.full_name) & set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệịọỏốồổỗộớờởỡợụủứừửữựỳỷỹý") for row in learners
    )
    assert {"present", "late", "absent", "excused"} <= {mark[2] for mark in data["marks"]}
    taken = {(quiz, purpose) for _, (quiz, purpose), *_ in data["attempts"]}
    assert {purpose for _, purpose in taken} == {QuizPurpose.MODULE, QuizPurpose.PRETEST}
    assert len(taken) == 12  # a pre-test and a quiz in each of the six modules
    assert 40 <= len(data["holders"]) < 150
    # The demo learner completed eip-2023 and holds a seat in the open demo edition.
    learner = find_user_by_email("learner@demo.example.org")
    assert "learner@demo.example.org" in data["holders"]
    demo = db.session.scalar(select(Course).where(Course.slug == "eip-demo"))
    assert is_registered(learner, demo.id)
    # Essays wait in the demo trainer's grading queue.
    trainer = find_user_by_email(DEMO_TRAINER)
    waiting = [a for a in data["attempts"] if a[3] == AttemptStatus.AWAITING_GRADING]
    assert len(waiting) >= 3
    essay_quiz = quizzes.quiz_for(course, waiting[0][1][0])
    assert can_manage_course(trainer, course.id) and len(quizzes.grading_queue(essay_quiz)) == len(waiting)


def test_the_past_edition_shows_a_learning_gain(app, db):
    run_demo(app)
    course = db.session.scalar(select(Course).where(Course.slug == "eip-2023"))
    with app.test_request_context("/?lang=en"):
        report = learning_gain.build(course)
    whole = report.summary[0].gain
    assert len(report.modules) == 6 and whole.learners > 100
    assert whole.mean_after > whole.mean_before and whole.passed_after > whole.passed_before
    assert any(row.gain.hidden for row in report.breakdown_rows)  # some provinces have fewer than 5


def test_the_past_edition_has_answered_evaluations(app, db):
    """Most learners who attended a module answered its evaluation, some with a comment in
    Vietnamese; the answers are anonymous (no user) like real ones."""
    from lms.evaluations.models import EvaluationAnswer, EvaluationForm, EvaluationResponse

    run_demo(app)
    course = db.session.scalar(select(Course).where(Course.slug == "eip-2023"))
    responses = db.session.scalar(
        select(func.count(EvaluationResponse.id))
        .join(EvaluationForm, EvaluationForm.id == EvaluationResponse.form_id)
        .where(EvaluationForm.course_id == course.id)
    )
    comments = db.session.scalars(
        select(EvaluationAnswer.text).where(EvaluationAnswer.text.is_not(None))
    ).all()
    assert responses > 300
    assert any("khu công nghiệp" in comment for comment in comments)
    assert "evaluations: 0 evaluations answered" in run_demo(app)  # idempotent


def test_later_parts_of_the_past_edition_get_its_learners_and_their_own_seed(app, db, monkeypatch):
    """The hook the evaluations of issue 14 join (lms.demo_learners.PAST_EDITION_EXTRAS)."""
    seen = []

    def extra(course, learners, rng):
        seen.append((course.slug, [learner.email for learner in learners], rng.random()))
        return f"{len(learners)} learners"

    monkeypatch.setitem(PAST_EDITION_EXTRAS, "example", extra)
    output = run_demo(app)
    assert "course eip-2023 example: 150 learners" in output
    run_demo(app)
    assert len(seen) == 2 and seen[0] == seen[1]  # every run, the same learners and draws
    assert seen[0][0] == "eip-2023" and "learner@demo.example.org" in seen[0][1]
