"""Re-running a course as a new edition: modules, runs moved by whole days on the
course's wall clock (weekday and local time kept, across daylight-saving changes too),
trainers, quizzes, materials with their own copies of the files; nothing of the
learners; all or nothing."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lms.attendance.models import Attendance
from lms.audit.models import AuditEvent
from lms.catalogue.models import Course, Run
from lms.certificates.models import Certificate
from lms.enrollment.models import Registration, RunChoice
from lms.errors import FieldError, ServiceError
from lms.materials import services as materials
from lms.materials.models import Material, MaterialVersion
from lms.materials.storage import get_storage
from lms.organise.copying import copy_edition
from lms.quizzes.models import Attempt, Quiz, QuizPurpose
from lms.quizzes.services import create_pretest
from tests.factories import CourseFactory, ModuleFactory, RunFactory, quiz_with_questions
from tests.materials import samples
from tests.materials.conftest import details, stored_files
from tests.organise.conftest import shown

VIENNA = ZoneInfo("Europe/Vienna")


def find(db, slug: str) -> Course:
    db.session.expire_all()
    return db.session.scalar(select(Course).where(Course.slug == slug))


def local(value: datetime, tz) -> datetime:
    return value.astimezone(tz)


def add_quiz(module, *, opens_at=None, closes_at=None) -> Quiz:
    return quiz_with_questions(module, [
        dict(kind="true_false", text={"vi": "Đúng hay sai?", "en": "True or false?"}, answer={"value": True}),
        dict(kind="single", text={"vi": "Chọn một", "en": "Pick one"}, points=2.0,
             options=[{"key": "a", "text": {"en": "A"}, "correct": True}, {"key": "b", "text": {"en": "B"}, "correct": False}]),
        dict(kind="essay", text={"vi": "Đã gỡ", "en": "Removed"}, archived=True),
    ], pass_mark=60, attempts_allowed=2, opens_at=opens_at, closes_at=closes_at, shuffle_questions=False)  # fmt: skip


def test_a_copy_keeps_weekday_and_local_time_across_daylight_saving(db, edition):
    """Vienna changes to summer time on 31 March 2030: sessions on Tuesday and Thursday
    at 09:00 and 14:00 in March stay at 09:00 and 14:00 on the same weekdays in May,
    which is an hour earlier in UTC."""
    course = CourseFactory(
        slug="vienna-2030",
        timezone="Europe/Vienna",
        registration_opens_at=datetime(2030, 1, 7, 8, 0, tzinfo=VIENNA),
        registration_closes_at=datetime(2030, 3, 15, 23, 59, tzinfo=VIENNA),
        present_threshold=80,
        late_threshold=30,
        change_cutoff_hours=48,
        issuers={"vi": ["Bộ Tài chính", "UNIDO"], "en": ["Ministry of Finance", "UNIDO"]},
    )
    module = ModuleFactory(course=course, key="m1", position=1)
    RunFactory(module=module, key="a", starts_at=datetime(2030, 3, 19, 9, 0, tzinfo=VIENNA), ends_at=datetime(2030, 3, 19, 11, 0, tzinfo=VIENNA))  # fmt: skip
    RunFactory(module=module, key="b", starts_at=datetime(2030, 3, 21, 14, 0, tzinfo=VIENNA), ends_at=datetime(2030, 3, 21, 16, 30, tzinfo=VIENNA))  # fmt: skip
    db.session.commit()

    copy = copy_edition(course, "vienna-2030-spring", date(2030, 5, 7), edition.organiser)
    db.session.commit()

    copy = find(db, "vienna-2030-spring")
    assert copy.issuers == {"vi": ["Bộ Tài chính", "UNIDO"], "en": ["Ministry of Finance", "UNIDO"]}
    a, b = copy.modules[0].runs
    assert (local(a.starts_at, VIENNA).strftime("%A %H:%M"), local(a.ends_at, VIENNA).strftime("%H:%M")) == (
        "Tuesday 09:00",
        "11:00",
    )
    assert (local(b.starts_at, VIENNA).strftime("%A %H:%M"), local(b.ends_at, VIENNA).strftime("%H:%M")) == (
        "Thursday 14:00",
        "16:30",
    )
    assert local(a.starts_at, VIENNA).date() == date(2030, 5, 7)
    assert a.starts_at == datetime(2030, 5, 7, 7, 0, tzinfo=UTC)  # 08:00 UTC in March, 07:00 in May
    # The registration window moved by the same 49 days, at the same local times.
    assert local(copy.registration_opens_at, VIENNA).replace(tzinfo=None) == datetime(2030, 2, 25, 8, 0)
    assert local(copy.registration_closes_at, VIENNA).replace(tzinfo=None) == datetime(2030, 5, 3, 23, 59)
    assert (copy.timezone, copy.status, copy.family) == ("Europe/Vienna", "draft", course.family)
    assert (copy.present_threshold, copy.late_threshold, copy.change_cutoff_hours) == (80, 30, 48)


def test_a_copy_has_modules_runs_trainers_and_quizzes_but_no_learners(db, edition):
    course = edition.course
    quiz = add_quiz(course.modules[0], closes_at=datetime(2030, 10, 31, 16, 59, tzinfo=UTC))
    edition.register(edition.learner_vi, "m1a", "m2a")
    edition.register(edition.learner_en, "m1b", "m2a")
    db.session.flush()
    db.session.add_all([
        Attempt(quiz_id=quiz.id, user_id=edition.learner_vi.id, number=1, status="graded", score=1, max_score=3, percent=33, passed=False),
        Attendance(run_id=edition.run("m1a").id, user_id=edition.learner_vi.id, status="present"),
        Certificate(code="A" * 28, user_id=edition.learner_vi.id, course_id=course.id, learner_name="Phạm Thu Hương"),
    ])  # fmt: skip
    db.session.commit()

    copy_edition(
        course, "eip-2031", date(2031, 1, 7), edition.organiser, title={"vi": "KCNST 2031", "en": ""}
    )
    db.session.commit()
    copy = find(db, "eip-2031")

    assert copy.title == {"vi": "KCNST 2031"}
    assert [(m.key, m.position, m.title["en"]) for m in copy.modules] == [
        ("m1", 1, "Module 1"),
        ("m2", 2, "Module 2"),
    ]
    shift = timedelta(days=(date(2031, 1, 7) - date(2030, 10, 8)).days)  # no clock change in Viet Nam
    old_runs = {(run.module.key, run.key): run for run in edition.course.runs}
    for run in copy.runs:
        old = old_runs[(run.module.key, run.key)]
        assert (run.starts_at, run.ends_at) == (old.starts_at + shift, old.ends_at + shift)
        assert local(run.starts_at, copy.zone).weekday() == local(old.starts_at, copy.zone).weekday()
        assert (run.capacity, run.taken, run.sequence, run.status, run.label) == (
            3,
            0,
            0,
            "scheduled",
            old.label,
        )
        assert [trainer.full_name for trainer in run.trainers] == ["Nguyễn Thị Lan"]
        assert run.id != old.id

    new_quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == copy.modules[0].id))
    assert new_quiz.id != quiz.id
    assert (new_quiz.pass_mark, new_quiz.attempts_allowed, new_quiz.shuffle_questions) == (60, 2, False)
    assert new_quiz.closes_at == datetime(2030, 10, 31, 16, 59, tzinfo=UTC) + shift
    assert [(q.position, q.kind, q.text["en"], q.points) for q in new_quiz.questions] == [
        (1, "true_false", "True or false?", 1.0),
        (2, "single", "Pick one", 2.0),
    ]
    assert new_quiz.questions[1].options[0] == {"key": "a", "text": {"en": "A"}, "correct": True}
    assert db.session.scalar(select(Quiz).where(Quiz.module_id == copy.modules[1].id)) is None

    # Nothing of the learners came along.
    new_run_ids = [run.id for run in copy.runs]
    assert (
        db.session.scalar(select(func.count(Registration.id)).where(Registration.course_id == copy.id)) == 0
    )
    assert db.session.scalar(select(func.count(RunChoice.id)).where(RunChoice.run_id.in_(new_run_ids))) == 0
    assert db.session.scalar(select(func.count(Attendance.id)).where(Attendance.run_id.in_(new_run_ids))) == 0
    assert db.session.scalar(select(func.count(Attempt.id)).where(Attempt.quiz_id == new_quiz.id)) == 0
    assert db.session.scalar(select(func.count(Certificate.id)).where(Certificate.course_id == copy.id)) == 0
    # ... and the old edition still has all of it.
    assert (
        db.session.scalar(select(func.count(Registration.id)).where(Registration.course_id == course.id)) == 2
    )
    assert db.session.get(Run, edition.run("m1a").id).taken == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "edition.copied"))
    assert (event.course_id, event.details["source"], event.details["days"]) == (copy.id, "eip-test", 91)


def test_materials_are_copied_with_files_of_their_own(app, db, edition):
    module = edition.course.modules[0]
    handout = materials.add_file(
        module,
        edition.trainer,
        details("Handout", languages=("vi", "en")),
        "Tài liệu.pdf",
        io.BytesIO(samples.PDF),
    )
    materials.replace_file(handout, edition.trainer, "Tài liệu v2.pdf", io.BytesIO(samples.PDF + b"%v2\n"))
    materials.add_link(module, edition.trainer, details("Recording", url="https://video.example.org/rec"))
    hidden = materials.add_file(
        module, edition.trainer, details("Draft slides"), "slides.png", io.BytesIO(samples.PNG)
    )
    materials.set_published(hidden, edition.trainer, False)
    db.session.commit()
    files_before = len(stored_files(app))

    copy_edition(edition.course, "eip-2031", date(2031, 1, 7), edition.organiser)
    db.session.commit()
    copy = find(db, "eip-2031")

    copied = db.session.scalars(
        select(Material).where(Material.module_id == copy.modules[0].id).order_by(Material.position)
    ).all()
    assert [(m.title["en"], m.kind, m.is_published, m.download_count) for m in copied] == [
        ("Handout", "file", True, 0),
        ("Recording", "link", True, 0),
        ("Draft slides", "file", False, 0),
    ]
    assert copied[1].url == "https://video.example.org/rec"
    storage = get_storage()
    for new, old in ((copied[0], handout), (copied[2], hidden)):
        [version] = new.versions  # the current file only, as version 1
        source = db.session.get(Material, old.id).current_version
        assert (version.number, version.filename, version.sha256, version.size) == (
            1,
            source.filename,
            source.sha256,
            source.size,
        )
        assert version.storage_key != source.storage_key
        with storage.open(version.storage_key) as copy_file, storage.open(source.storage_key) as original:
            assert copy_file.read() == original.read()
    assert copied[0].versions[0].filename == "Tài liệu v2.pdf"
    assert len(stored_files(app)) == files_before + 2
    # The copies are separate files: removing the old one leaves the new one intact.
    storage.delete(db.session.get(Material, handout.id).current_version.storage_key)
    with storage.open(copied[0].versions[0].storage_key) as copy_file:
        assert copy_file.read() == samples.PDF + b"%v2\n"


def test_a_missing_file_stops_the_copy_and_leaves_nothing_behind(app, db, edition):
    module = edition.course.modules[0]
    materials.add_file(module, edition.trainer, details("First"), "first.pdf", io.BytesIO(samples.PDF))
    lost = materials.add_file(
        module, edition.trainer, details("Second"), "second.png", io.BytesIO(samples.PNG)
    )
    db.session.commit()
    get_storage().delete(lost.current_version.storage_key)
    files_before = stored_files(app)
    counts_before = {
        model: db.session.scalar(select(func.count(model.id)))
        for model in (Course, Run, Material, MaterialVersion, Quiz)
    }

    with pytest.raises(ServiceError, match=r"second\.png"):
        copy_edition(edition.course, "eip-2031", date(2031, 1, 7), edition.organiser)
    db.session.rollback()

    assert stored_files(app) == files_before  # the first file's copy was removed again
    assert {
        model: db.session.scalar(select(func.count(model.id))) for model in counts_before
    } == counts_before


@pytest.mark.parametrize(
    ("slug", "starts_on", "field", "message"),
    [
        ("eip-test", date(2031, 1, 7), "slug", "Another edition already uses the address eip-test."),
        ("Eip 2031", date(2031, 1, 7), "slug", "Use 2 to 80 lower-case letters"),
        ("eip-2031", date(2031, 1, 8), "starts_on", "This edition starts on a Tuesday. Please choose a Tuesday, for example Tuesday, January 7, 2031 or Tuesday, January 14, 2031"),
        ("eip-2031", date(2020, 10, 6), "starts_on", "Please choose a first day in the future."),
        ("eip-2031", date(2031, 1, 7), "title_vi", "Please enter the title in Vietnamese."),
    ],
)  # fmt: skip
def test_refused_copies(db, edition, slug, starts_on, field, message):
    with pytest.raises(FieldError, match=message) as refusal:
        copy_edition(
            edition.course, slug, starts_on, edition.organiser, title={"vi": "", "en": "Only English"}
        )
    assert refusal.value.field == field


def test_an_organiser_copies_an_edition_from_its_page(client, db, edition):
    client.sign_in(edition.organiser.email)
    page = shown(client.get("/organise/courses/eip-test/copy?lang=en"))
    assert "This edition starts on Tuesday, October 8, 2030." in page

    response = client.submit(
        "/organise/courses/eip-test/copy?lang=en",
        {"slug": "eip-2031", "starts_on": "2031-01-08", "title_vi": "", "title_en": ""},
    )
    assert "Please choose a Tuesday" in shown(response)
    assert find(db, "eip-2031") is None

    response = client.submit(
        "/organise/courses/eip-test/copy?lang=en",
        {"slug": "eip-2031", "starts_on": "2031-01-07", "title_vi": "KCNST 2031", "title_en": "Eco-industrial parks 2031",
         "closes_on": "2031-01-03", "closes_time": ""},
    )  # fmt: skip
    text = shown(response)
    assert response.request.path == "/organise/courses/eip-2031"
    assert "The new edition eip-2031 is saved as a draft" in text
    assert "Eco-industrial parks 2031" in text and "Draft" in text
    assert "Jan 7, 2031" in text and "Jan 23, 2031" in text  # module 1 run A, module 2 run B
    copy = find(db, "eip-2031")
    assert local(copy.registration_closes_at, copy.zone).replace(tzinfo=None) == datetime(
        2031, 1, 3, 23, 59, 59, 999999
    )  # no time typed: the whole day counts


def test_the_command_line_copies_an_edition_too(app, db, edition):
    runner = app.test_cli_runner()
    args = ["lms", "copy-edition", "eip-test", "eip-2031", "--by", "organiser@example.org"]
    refused = runner.invoke(args=[*args, "--starts-on", "2031-01-08"])
    assert refused.exit_code == 1
    assert "nothing was copied: This edition starts on a Tuesday." in refused.output

    result = runner.invoke(args=[*args, "--starts-on", "2031-01-07"])
    assert result.exit_code == 0, result.output
    assert "edition eip-2031: created as a draft, 4 runs from 2031-01-07 02:00 UTC" in result.output
    copy = find(db, "eip-2031")
    assert copy.status == "draft" and len(copy.runs) == 4
    not_an_organiser = runner.invoke(
        args=[
            "lms",
            "copy-edition",
            "eip-test",
            "eip-2032",
            "--by",
            "lan@example.org",
            "--starts-on",
            "2031-01-07",
        ]
    )
    assert (
        not_an_organiser.exit_code == 1 and "lan@example.org is not an organiser" in not_an_organiser.output
    )


def test_a_copy_carries_the_pretests(db, edition):
    course = edition.course
    add_quiz(course.modules[0])
    pretest = create_pretest(course.modules[0], edition.organiser)
    pretest.questions[0].text = {"vi": "Câu hỏi đầu vào", "en": "Pre-test question"}
    db.session.commit()
    copy_edition(
        course, "eip-2032", date(2032, 1, 6), edition.organiser, title={"vi": "KCNST 2032", "en": ""}
    )
    db.session.commit()
    copy = find(db, "eip-2032")
    quizzes = {
        quiz.purpose: quiz
        for quiz in db.session.scalars(select(Quiz).where(Quiz.module_id == copy.modules[0].id))
    }
    assert set(quizzes) == {QuizPurpose.MODULE, QuizPurpose.PRETEST}
    assert quizzes[QuizPurpose.PRETEST].questions[0].text["en"] == "Pre-test question"
    assert quizzes[QuizPurpose.PRETEST].attempts_allowed == 1
