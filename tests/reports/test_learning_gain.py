"""Learning gain on a data set whose every figure is worked out by hand.

Module 1 (pass mark 70), pre-test and quiz:

| learner | gender | province  | pre-test        | quiz (best)  |
|---------|--------|-----------|-----------------|--------------|
| L1      | female | hai-phong | 40 (then 90)    | 80           |
| L2      | female | hai-phong | 50              | 90           |
| L3      | female | hai-phong | 60              | 70           |
| L4      | female | hai-phong | 70              | 100          |
| L5      | female | hai-phong | 80              | 90           |
| L6      | male   | can-tho   | 30              | 50, then 60  |
| L7      | female | hai-phong | —               | 100          |
| L8      | female | hai-phong | 20              | —            |

Only L1 has both scores in module 2 (pre 20, quiz 100); module 3 has no pre-test.
The first pre-test attempt counts (what the learner knew before any feedback), the
best quiz attempt (what counts for completion).
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from lms.quizzes.models import QuizPurpose
from lms.reports import dashboard, learning_gain
from lms.spreadsheets import write_workbook
from tests.factories import GradedAttemptFactory, UserFactory, course_with_modules, hold
from tests.helpers import count_queries, page_text
from tests.quizzes.conftest import make_quiz

SLUG = "gain-course"
M1 = [("L1", "female", "hai-phong", [40, 90], [80]), ("L2", "female", "hai-phong", [50], [90]),
      ("L3", "female", "hai-phong", [60], [70]), ("L4", "female", "hai-phong", [70], [100]),
      ("L5", "female", "hai-phong", [80], [90]), ("L6", "male", "can-tho", [30], [50, 60]),
      ("L7", "female", "hai-phong", [], [100]), ("L8", "female", "hai-phong", [20], [])]  # fmt: skip


def build_gain_course(db, slug: str = SLUG, extra: int = 0):
    """The data set above; ``extra`` more learners like L2 (for the query counts)."""
    course = course_with_modules(3, 1, slug=slug)
    m1, m2, m3 = course.modules
    trainer = UserFactory(email=f"trainer-{slug}@example.org", roles=["trainer"])
    m1.runs[0].trainers.append(trainer)
    m1.runs[0].capacity = 100
    quizzes = {}
    for module in course.modules:
        quizzes[(module.key, "quiz")] = make_quiz(module, pass_mark=70)
    for module in (m1, m2):
        quizzes[(module.key, "pre")] = make_quiz(module, pass_mark=70, purpose=QuizPurpose.PRETEST)
    people = {}
    rows = M1 + [(f"X{n}", "female", "hai-phong", [50], [90]) for n in range(extra)]
    for name, gender, province, before, after in rows:
        user = UserFactory(full_name=f"Học viên {name}", gender=gender, province=province)
        people[name] = user
        hold(user, m1.runs[0])
        for number, percent in enumerate(before, 1):
            GradedAttemptFactory(
                quiz=quizzes[(m1.key, "pre")], user_id=user.id, number=number, percent=percent
            )
        for number, percent in enumerate(after, 1):
            GradedAttemptFactory(
                quiz=quizzes[(m1.key, "quiz")], user_id=user.id, number=number, percent=percent
            )
    GradedAttemptFactory(quiz=quizzes[(m2.key, "pre")], user_id=people["L1"].id, percent=20)
    GradedAttemptFactory(quiz=quizzes[(m2.key, "quiz")], user_id=people["L1"].id, percent=100)
    GradedAttemptFactory(quiz=quizzes[(m3.key, "quiz")], user_id=people["L1"].id, percent=100)
    db.session.commit()
    return course, trainer


def values(gain) -> tuple:
    return (
        gain.learners,
        gain.mean_before,
        gain.mean_after,
        gain.mean_gain,
        gain.passed_before,
        gain.passed_after,
    )


def test_the_figures_of_the_known_data_set(app, db):
    course, _ = build_gain_course(db)
    with app.test_request_context("/?lang=en"):
        report = learning_gain.build(course)
    assert [module.position for module in report.modules] == [1, 2]  # module 3 has no pre-test
    course_row, m1_row, m2_row = report.summary
    # L1-L6 in module 1 and L1 in module 2: 7 pairs of 6 learners.
    assert values(course_row.gain) == (6, 50.0, 84.3, 34.3, 28.6, 85.7)
    assert values(m1_row.gain) == (6, 55.0, 81.7, 26.7, 33.3, 83.3)
    assert m2_row.gain.hidden and values(m2_row.gain) == (1, None, None, None, None, None)


def test_groups_of_fewer_than_five_are_not_shown(app, db):
    course, _ = build_gain_course(db)
    with app.test_request_context("/?lang=en"):
        report = learning_gain.build(course)
        table = learning_gain.table(report)
    genders = {row.group: row.gain for row in report.breakdowns["m1"] if row.breakdown == "Gender"}
    assert values(genders["Female"]) == (5, 60.0, 86.0, 26.0, 40.0, 100.0)
    assert genders["Male"].hidden and genders["Male"].mean_before is None
    male = next(row for row in table.rows if row[0] == "Module 1" and row[2] == "Male")
    assert male[3:] == ["fewer than 5", None, None, None, None, None]
    provinces = {row.group for row in report.breakdowns["course"] if row.breakdown == "Province"}
    assert provinces == {"Hai Phong", "Can Tho"}


def test_the_cli_export_in_both_formats(app, db, tmp_path):
    build_gain_course(db)
    runner = app.test_cli_runner()
    target = tmp_path / "gain.csv"
    result = runner.invoke(args=["lms", "export", "learning-gain", SLUG, "--format", "csv", "-o", str(target),
                                 "--lang", "en"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert rows[0][:4] == ["Scope", "Breakdown", "Group", "Learners with both scores"]
    assert rows[1] == ["Course", "", "", "6", "50.0", "84.3", "34.3", "28.6", "85.7"]
    assert ["Module 2", "", "", "fewer than 5", "", "", "", "", ""] in rows
    assert ["Module 1", "Province", "Can Tho", "fewer than 5", "", "", "", "", ""] in rows
    target = tmp_path / "gain.xlsx"
    result = runner.invoke(args=["lms", "export", "learning-gain", SLUG, "--format", "xlsx", "-o", str(target),
                                 "--lang", "vi"])  # fmt: skip
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[1][:4] == ["Khóa học", None, None, 6]
    assert any(row[3] == "ít hơn 5" for row in cells)


def test_the_dashboard_has_the_summary_and_its_xlsx_every_group(app, db, tmp_path):
    course, _ = build_gain_course(db)
    with app.test_request_context("/?lang=en"):
        report = dashboard.build(course)
        sheets = report.workbook()
    figure = next(figure for figure in report.figures if figure.key == "learning-gain")
    assert [row[0] for row in figure.table.rows] == ["Course", "Module 1", "Module 2"]
    by_group = next(sheet for sheet in sheets if sheet.title == "Learning gain by group")
    assert ["Module 1", "Gender", "Male", "fewer than 5", None, None, None, None, None] in by_group.rows
    write_workbook(str(tmp_path / "dashboard.xlsx"), sheets)
    names = load_workbook(tmp_path / "dashboard.xlsx").sheetnames
    assert "Learning gain" in names and "Learning gain by group" in names


def test_the_page_for_organisers_and_for_a_trainer_of_module_1(app, db, client):
    _, trainer = build_gain_course(db)
    organiser = UserFactory(roles=["organiser"])
    db.session.commit()
    client.sign_in(organiser.email)
    text = page_text(client.get(f"/organise/courses/{SLUG}/learning-gain?lang=en"))
    assert "fewer than 5" in text and "Course" in text and "Module 2" in text
    assert "84.3" in text and "26.7" in text
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in(trainer.email)
    text = page_text(client.get(f"/organise/courses/{SLUG}/learning-gain?lang=en"))
    assert "26.7" in text and "Module 1" in text
    assert "84.3" not in text and "Module 2" not in text  # neither the course nor another's module


@pytest.mark.parametrize("who", ["learner", "other trainer"])
def test_others_are_refused(app, db, client, who):
    build_gain_course(db)
    user = UserFactory(roles=["trainer"] if who == "other trainer" else [])
    db.session.commit()
    client.sign_in(user.email)
    assert client.get(f"/organise/courses/{SLUG}/learning-gain").status_code == 403
    assert client.get("/organise/courses/no-such-course/learning-gain").status_code == 404


def test_the_report_makes_a_fixed_number_of_queries(app, db):
    def queries(slug: str, extra: int) -> int:
        course, _ = build_gain_course(db, slug, extra)
        with app.test_request_context("/?lang=en"), count_queries(app) as counter:
            learning_gain.build(course)
        return counter.count

    assert queries("gain-small", 2) == queries("gain-large", 40)


def test_the_page_makes_a_fixed_number_of_queries(app, db, client):
    organiser = UserFactory(roles=["organiser"])
    db.session.commit()
    client.sign_in(organiser.email)

    def queries(slug: str, extra: int) -> int:
        build_gain_course(db, slug, extra)
        with count_queries(app) as counter:
            assert client.get(f"/organise/courses/{slug}/learning-gain").status_code == 200
        return counter.count

    assert queries("gain-small", 2) == queries("gain-large", 40)
